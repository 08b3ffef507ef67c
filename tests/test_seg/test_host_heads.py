"""Which host heads ``BDCLDecodeHead`` wraps: every listed host builds, runs forward and trains with
the BDCL term; a host type that does not fit the inherited arguments, or none, is named."""
import math
import os.path as osp
import re

import pytest
import torch
from mmengine.logging import MessageHub
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

import bdcl_mm.seg  # noqa: F401
from bdcl_mm.seg import PixelContrastMixin
from bdcl_mm.seg.host_heads import (CASCADE_HOST_HEADS, HOST_HEADS, accepted_arguments,
                                    heads_accepting)
from tests._shared.paths import REPO

# a 64x64 image through a 4-level backbone: (8, 16, 32, 64) channels at strides 4, 8, 16, 32
LEVELS = dict(in_channels=[8, 16, 32, 64], in_index=[0, 1, 2, 3])
LAST = dict(in_channels=64, in_index=3)
TINY_HOSTS = {
    'FCNHead': dict(LAST, num_convs=1, concat_input=False),
    'ASPPHead': dict(LAST, dilations=(1, 2)),
    'DepthwiseSeparableASPPHead': dict(LAST, dilations=(1, 2), c1_in_channels=8, c1_channels=8),
    'SegformerHead': dict(LEVELS),
    'UPerHead': dict(LEVELS, pool_scales=(1, 2)),
    'PSPHead': dict(LAST, pool_scales=(1, 2)),
    'FPNHead': dict(LEVELS, feature_strides=[4, 8, 16, 32]),
    'NLHead': dict(LAST, reduction=2),
    'GCHead': dict(LAST, ratio=1 / 4.),
    'DNLHead': dict(LAST, reduction=2),
    'EMAHead': dict(LAST, ema_channels=16, num_bases=4, num_stages=2),
    'APCHead': dict(LAST, pool_scales=(1, 2)),
    'DMHead': dict(LAST, filter_sizes=(1, 3)),
    'ANNHead': dict(in_channels=[32, 64], in_index=[2, 3], project_channels=8,
                    query_scales=(1, ), key_pool_scales=(1, 2)),
    'DepthwiseSeparableFCNHead': dict(LAST),
    'SETRUPHead': dict(LAST, num_convs=1, up_scale=2),
    'ISAHead': dict(LAST, isa_channels=8, down_factor=(2, 2)),
    'CCHead': dict(LAST, recurrence=2),
    'PSAHead': dict(LAST, mask_size=(2, 2)),
    'LightHamHead': dict(in_channels=[16, 32, 64], in_index=[1, 2, 3], ham_channels=16,
                         ham_kwargs=dict(MD_R=4)),
}


def _features(seed=0):
    gen = torch.Generator().manual_seed(seed)
    return [torch.randn(2, c, 64 // s, 64 // s, generator=gen)
            for c, s in zip((8, 16, 32, 64), (4, 8, 16, 32))]


def _samples(size=64):
    samples = []
    for i in range(2):
        sample = SegDataSample(metainfo=dict(img_shape=(size, size), pad_shape=(size, size)))
        label = torch.zeros(1, size, size, dtype=torch.long)
        label[:, :size // 2, : size // 2 + 8 * i] = 1
        label[:, size // 2:, size // 2:] = 2
        sample.gt_sem_seg = PixelData(data=label)
        samples.append(sample)
    return samples


def _bdcl_cfg(host_type, **host):
    return dict(type='BDCLDecodeHead', host_type=host_type, channels=16, num_classes=3,
                norm_cfg=dict(type='BN', requires_grad=True), align_corners=False,
                proj_channels=8, max_views=16, max_samples=64, **host)


def test_every_listed_host_has_a_tiny_config():
    assert sorted(TINY_HOSTS) == sorted(HOST_HEADS)


@pytest.mark.parametrize('host_type', HOST_HEADS)
def test_listed_host_builds_runs_and_trains_with_the_bdcl_term(host_type):
    torch.manual_seed(0)
    MessageHub.get_current_instance().update_info('iter', 0)
    head = MODELS.build(_bdcl_cfg(host_type, **TINY_HOSTS[host_type]))
    assert isinstance(head, PixelContrastMixin) and type(head).__name__ == f'BDCL{host_type}'
    inputs = _features()
    logits = head(inputs)
    assert logits.shape[:2] == (2, 3)
    losses = head.loss(inputs, _samples(), dict())
    assert math.isfinite(float(losses['loss_bdcl'])) and float(losses['loss_bdcl']) > 0
    sum(v for k, v in losses.items() if k.startswith('loss')).backward()
    assert head.projector[-1].weight.grad.abs().sum() > 0
    assert head.conv_seg.weight.grad.abs().sum() > 0


@pytest.mark.parametrize('host_type', CASCADE_HOST_HEADS)
def test_listed_cascade_host_trains_with_the_previous_logits(host_type):
    torch.manual_seed(0)
    MessageHub.get_current_instance().update_info('iter', 0)
    head = MODELS.build(_bdcl_cfg(host_type, **LEVELS, input_transform='resize_concat',
                                  ocr_channels=8))
    inputs, prev = _features(), torch.randn(2, 3, 16, 16)
    losses = head.loss(inputs, prev, _samples(), dict())
    assert float(losses['loss_bdcl']) > 0
    sum(v for k, v in losses.items() if k.startswith('loss')).backward()
    assert head.projector[-1].weight.grad.abs().sum() > 0


def test_arguments_are_read_up_the_mro_through_kwargs():
    accepted, required = accepted_arguments(MODELS.get('DepthwiseSeparableASPPHead'))
    assert {'c1_in_channels', 'dilations', 'in_channels', 'num_classes', 'loss_decode'} <= accepted
    assert required == {'c1_in_channels', 'c1_channels', 'in_channels', 'channels',
                        'num_classes'}
    assert 'num_convs' not in accepted_arguments(MODELS.get('PSPHead'))[0]


UNET_FCN = dict(in_channels=64, in_index=4, channels=64, num_convs=1, concat_input=False,
                dropout_ratio=0.1, num_classes=3, align_corners=False)
DEEPLABV3PLUS = dict(in_channels=2048, in_index=3, channels=512, dilations=(1, 12, 24, 36),
                     c1_in_channels=256, c1_channels=48, dropout_ratio=0.1, num_classes=3)


@pytest.mark.parametrize('host_type,kwargs,offending,fits', [
    ('PSPHead', UNET_FCN, 'does not take concat_input, num_convs', 'FCNHead'),
    ('UPerHead', UNET_FCN, 'does not take concat_input, num_convs', 'FCNHead'),
    ('FCNHead', DEEPLABV3PLUS, 'does not take c1_channels, c1_in_channels, dilations',
     'DepthwiseSeparableASPPHead'),
])
def test_host_type_that_does_not_take_the_arguments_is_named(host_type, kwargs, offending, fits):
    with pytest.raises(ValueError) as raised:
        MODELS.build(dict(type='BDCLDecodeHead', host_type=host_type, **kwargs))
    message = str(raised.value)
    assert f"host_type={host_type!r} {offending}" in message
    assert 'the registered decode heads that take them all' in message
    candidates = message.split('take them all: ')[1].rstrip('.').split(', ')
    assert fits in candidates and host_type not in candidates


def test_missing_host_type_is_named_with_the_heads_that_fit():
    with pytest.raises(ValueError) as raised:
        MODELS.build(dict(type='BDCLDecodeHead', proj_channels=8, **DEEPLABV3PLUS))
    message = str(raised.value)
    assert message.startswith('BDCLDecodeHead needs host_type')
    assert message.endswith('take them all: DepthwiseSeparableASPPHead.')
    assert 'positional argument' not in message


def test_heads_accepting_needs_the_required_arguments():
    assert 'DepthwiseSeparableASPPHead' not in heads_accepting(['in_channels', 'channels',
                                                                'num_classes', 'dilations'])
    assert 'ASPPHead' in heads_accepting(['in_channels', 'channels', 'num_classes', 'dilations'])


def test_docs_list_the_tested_hosts():
    with open(osp.join(REPO, 'docs', 'segmentation.md'), encoding='utf-8') as f:
        text = f.read()
    listed = text[text.index('<!-- host-heads:start -->'):text.index('<!-- host-heads:end -->')]
    plain, cascade = listed.split('at `decode_head[1]` of a cascade:')
    assert re.findall(r'`(\w+)`', plain) == list(HOST_HEADS)
    assert re.findall(r'`(\w+)`', cascade) == list(CASCADE_HOST_HEADS)
