"""Misplaced BDCL pieces stop with a message that says what to write instead."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.model import revert_sync_batchnorm
from mmengine.registry import DefaultScope
from mmseg.registry import MODELS

import bdcl_mm.seg  # noqa: F401
from bdcl_mm.seg import check_config
from bdcl_mm.seg.model_checks import check_bdcl_placement, check_head_inputs
from tests._shared.paths import REPO

UNET = osp.join(REPO, 'configs', 'bdcl', 'bdcl_unet-s5-d16_fcn_80k_tui-512x512.py')
HRNET = osp.join(REPO, 'configs', 'bdcl', 'hrnet_ocr_tui.py')


def fcn_head(**extra):
    cfg = dict(in_channels=8, channels=8, num_convs=1, concat_input=False, dropout_ratio=-1,
               num_classes=3, norm_cfg=None, align_corners=False,
               loss_decode=dict(type='CrossEntropyLoss', loss_weight=1.0))
    cfg.update(extra)
    return cfg


def test_bdcl_loss_in_loss_decode_is_refused_before_building():
    cfg = Config.fromfile(UNET)
    cfg.model.decode_head.loss_decode = [
        dict(type='CrossEntropyLoss', loss_weight=1.0),
        dict(type='BDCLLoss', num_classes=3, feat_dim=64)]
    with pytest.raises(ValueError, match=r"model\.decode_head\.loss_decode holds BDCLLoss.*"
                       r"type='BDCLDecodeHead' with host_type"):
        check_config(cfg)


def test_bdcl_loss_in_a_built_heads_loss_decode_is_refused_by_the_check_hook():
    from bdcl_mm.seg import SegNumClassesCheckHook
    head = MODELS.build(dict(type='FCNHead', **fcn_head(
        loss_decode=dict(type='BDCLLoss', num_classes=3, feat_dim=8))))

    class Runner:  # what the hook reads of a runner
        model = torch.nn.ModuleDict(dict(decode_head=head))
        train_dataloader = type('Loader', (), dict(dataset=type('D', (), dict(
            metainfo=dict(classes=('a', 'b', 'c'))))()))()

    with pytest.raises(ValueError, match=r'decode_head\.loss_decode holds BDCLLoss'):
        SegNumClassesCheckHook()._check(Runner, Runner.train_dataloader)


def test_cascade_head_in_an_encoder_decoder():
    cfg = Config.fromfile(HRNET)
    model = cfg.model.to_dict()
    model['type'] = 'EncoderDecoder'
    model['decode_head'] = model['decode_head'][1]
    with pytest.raises(ValueError, match=r"model\.decode_head is BDCLOCRHead, a cascade head.*"
                       r"decode_head\[1\] of a CascadeEncoderDecoder.*type='BDCLDecodeHead'"):
        check_bdcl_placement(model)
    # the built head says the same at its first loss when no check ran
    with DefaultScope.overwrite_default_scope('mmseg'):
        head = revert_sync_batchnorm(MODELS.build(model['decode_head']))
    feats = [torch.randn(1, c, 8, 8) for c in (48, 96, 192, 384)]
    with pytest.raises(TypeError, match=r'BDCLOCRHead is a cascade head.*CascadeEncoderDecoder'):
        head.loss(feats, [], None)


@pytest.mark.parametrize('host_type,error,match', [
    ('NoSuchHead', ValueError, r"host_type='NoSuchHead' is not a registered mmseg model"),
    ('CrossEntropyLoss', TypeError, r'is not an mmseg decode head'),
    ('PointHead', TypeError, r"host_type='PointHead' has its own loss\(\)"),
    ('BDCLOCRHead', TypeError, r'already has the BDCL term'),
])
def test_unsupported_host_heads(host_type, error, match):
    with pytest.raises(error, match=match):
        MODELS.build(dict(type='BDCLDecodeHead', host_type=host_type, **fcn_head()))


def test_head_features_that_do_not_match_the_backbone():
    # W48 heads on an HRNet-W18 backbone: 720 channels expected, 270 given
    cfg = Config.fromfile(HRNET)
    with DefaultScope.overwrite_default_scope('mmseg'):
        head = revert_sync_batchnorm(MODELS.build(cfg.model.decode_head[1]))
    w18 = [torch.randn(1, c, 8, 8) for c in (18, 36, 72, 144)]
    match = r'in_channels=720 \(summed over the levels\) but the backbone gives \[18, 36, 72, 144\]'
    with pytest.raises(ValueError, match=match):
        head.loss(w18, torch.randn(1, 3, 8, 8), [], None)
    with pytest.raises(ValueError, match=r'fcn: in_channels=8 but the backbone gives 16'):
        check_head_inputs('fcn', MODELS.build(dict(type='FCNHead', **fcn_head())),
                          [torch.randn(1, 16, 4, 4)])


def test_check_hook_stops_w48_heads_on_a_w18_backbone_before_training():
    from bdcl_mm.seg import SegNumClassesCheckHook
    cfg = Config.fromfile(HRNET)
    cfg.model.pretrained = None
    extra = cfg.model.backbone.extra
    extra.stage1.update(num_blocks=(1, ))
    for i, stage in enumerate(('stage2', 'stage3', 'stage4')):
        extra[stage].update(num_modules=1, num_blocks=(1, ) * (i + 2),
                            num_channels=(18, 36, 72, 144)[:i + 2])
    with DefaultScope.overwrite_default_scope('mmseg'):
        model = revert_sync_batchnorm(MODELS.build(cfg.model))

    class Runner:
        pass

    Runner.model = model
    with pytest.raises(ValueError, match=r'decode_head\.0: in_channels=720 .* \[18, 36, 72, 144\]'):
        SegNumClassesCheckHook._check_head_inputs(Runner)
    assert model.training  # the probe restored the mode


def test_bdcl_loss_called_by_a_plain_heads_loss_decode_says_where_it_goes():
    """Without the config check or the hook (mmseg's own tools), the first loss call says it."""
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    head = MODELS.build(dict(type='FCNHead', **fcn_head(
        loss_decode=dict(type='BDCLLoss', num_classes=3, feat_dim=8))))
    sample = SegDataSample()
    sample.gt_sem_seg = PixelData(data=torch.zeros(1, 8, 8, dtype=torch.long))
    with pytest.raises(TypeError, match=r"called as a loss of logits \(with \['ignore_index', "
                       r"'weight'\]\).*type='BDCLDecodeHead'"):
        head.loss([torch.randn(1, 8, 8, 8)], [sample], None)
