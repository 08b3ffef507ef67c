"""CosineDecodeHead: a cosine 1x1 classifier on FCN, DeepLabV3+, SegFormer and OCR heads."""
from types import SimpleNamespace

import pytest
import torch
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

import bdcl_mm.seg  # noqa: F401
from bdcl_mm.engine.hooks import ClassCountsHook
from bdcl_mm.models.losses import LDAMLoss
from bdcl_mm.seg import bdcl_head_class, cosine_head_class

LDAM = dict(type='LDAMLoss', max_m=0.5, s=30)
HOSTS = {
    'FCNHead': dict(in_channels=8, channels=8, num_convs=1),
    'DepthwiseSeparableASPPHead': dict(in_channels=8, in_index=1, channels=8, dilations=(1, 2),
                                       c1_in_channels=4, c1_channels=4, dropout_ratio=0.1),
    'SegformerHead': dict(in_channels=[4, 8], in_index=[0, 1], channels=8),
}


def _inputs():
    g = torch.Generator().manual_seed(0)
    return [torch.randn(2, 4, 16, 16, generator=g), torch.randn(2, 8, 8, 8, generator=g)]


def _samples():
    samples = []
    for i in range(2):
        label = torch.zeros(1, 32, 32, dtype=torch.long)
        label[:, 4:12, 4:12] = 1
        label[:, 20:24, 20:24 + i] = 2
        label[:, 0, :] = 255
        s = SegDataSample(metainfo=dict(img_shape=(32, 32), pad_shape=(32, 32)))
        s.gt_sem_seg = PixelData(data=label)
        samples.append(s)
    return samples


@pytest.mark.parametrize('host', sorted(HOSTS))
def test_cosine_head_on_host_heads_gives_cosines_and_trains_with_ldam(host):
    torch.manual_seed(0)  # the weights, so the checked pixel's features are the same every run
    head = MODELS.build(dict(type='CosineDecodeHead', host_type=host, num_classes=3,
                             loss_decode=LDAM, **HOSTS[host]))
    assert type(head).__name__ == f'Cosine{host}' and head.cosine_logits
    assert head.conv_seg.bias is None and head.loss_decode.num_classes == 3
    plain = MODELS.build(dict(type=host, num_classes=3, **HOSTS[host]))
    missing, unexpected = head.load_state_dict(plain.state_dict(), strict=False)
    assert unexpected == ['conv_seg.bias']
    assert missing == [f'loss_decode.{b}' for b in ('class_counts', 'class_weight', 'class_terms')]
    head.eval()
    recorded, classify = [], head.cls_seg
    head.cls_seg = lambda feat: classify(recorded.append(feat) or feat)
    logits = head(_inputs())
    del head.cls_seg
    assert logits.abs().max() <= 1 + 1e-5
    # cos = <f/|f|, w/|w|>, checked at one pixel against the host's pre-logit features
    f = recorded[0][0, :, 3, 5]
    w = head.conv_seg.weight[:, :, 0, 0]
    expected = (w / w.norm(dim=1, keepdim=True)) @ (f / f.norm())
    torch.testing.assert_close(logits[0, :, 3, 5], expected)
    head.train()
    head.loss_decode.set_class_counts([900, 60, 40])
    losses = head.loss(_inputs(), _samples(), dict())
    assert torch.isfinite(losses['loss_ldam']) and losses['loss_ldam'] > 0
    losses['loss_ldam'].backward()
    assert head.conv_seg.weight.grad.abs().sum() > 0


def test_cosine_ocr_head_in_a_cascade():
    head = MODELS.build(dict(type='CosineDecodeHead', host_type='OCRHead', in_channels=[4, 8],
                             in_index=(0, 1), input_transform='resize_concat', channels=8,
                             ocr_channels=8, num_classes=3, loss_decode=LDAM))
    assert type(head).__name__ == 'CosineOCRHead'
    prev = torch.randn(2, 3, 16, 16)
    logits = head(_inputs(), prev)
    assert logits.shape == (2, 3, 16, 16) and logits.abs().max() <= 1 + 1e-5


def test_the_factory_makes_one_class_per_mixin_and_host():
    assert cosine_head_class('FCNHead') is cosine_head_class('FCNHead')
    assert cosine_head_class('FCNHead') is not bdcl_head_class('FCNHead')
    assert type(MODELS.build(dict(type='BDCLDecodeHead', host_type='FCNHead', in_channels=8,
                                  channels=8, num_classes=3))).__name__ == 'BDCLFCNHead'


def test_misuse_errors():
    with pytest.raises(ValueError, match='one output channel per class'):
        MODELS.build(dict(type='CosineDecodeHead', host_type='FCNHead', num_classes=2,
                          out_channels=1, loss_decode=dict(type='CrossEntropyLoss',
                                                           use_sigmoid=True), **HOSTS['FCNHead']))
    with pytest.raises(TypeError, match='already has a cosine classifier'):
        cosine_head_class(cosine_head_class('FCNHead'))
    with pytest.raises(ValueError, match='not a registered mmseg model'):
        cosine_head_class('NoSuchHead')
    # LDAM on a plain (unnormalised) head is refused before training
    plain = MODELS.build(dict(type='FCNHead', num_classes=3, loss_decode=LDAM,
                              **HOSTS['FCNHead']))
    assert isinstance(plain.loss_decode, LDAMLoss)
    with pytest.raises(ValueError, match="needs cosine logits.*'CosineDecodeHead', "
                       "host_type='FCNHead'"):
        ClassCountsHook().before_train(SimpleNamespace(model=plain))


@pytest.mark.parametrize('host', sorted(HOSTS))
def test_cosine_classifier_starts_with_unit_norm_random_rows(host):
    head = MODELS.build(dict(type='CosineDecodeHead', host_type=host, num_classes=3,
                             loss_decode=LDAM, **HOSTS[host]))
    head.init_weights()  # as the Runner does before training; mmseg's default is Normal(0.01)
    w = head.conv_seg.weight.flatten(1)
    torch.testing.assert_close(w.norm(dim=1), torch.ones(3))
    assert w.std() > 0.05


def test_cosine_classifier_has_unit_norm_rows_without_init_weights():
    # an OCR model's heads sit in an nn.ModuleList, which mmengine's init_weights skips
    head = MODELS.build(dict(type='CosineDecodeHead', host_type='FCNHead', num_classes=3,
                             loss_decode=LDAM, **HOSTS['FCNHead']))
    torch.testing.assert_close(head.conv_seg.weight.flatten(1).norm(dim=1), torch.ones(3))
