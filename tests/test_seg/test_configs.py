"""Segmentation configs: every TUI config loads and checks; models build; the head snippet ports."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MessageHub
from mmengine.model import revert_sync_batchnorm
from mmengine.optim import OptimWrapper
from mmengine.registry import DefaultScope
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

import bdcl_mm.seg  # noqa: F401
from bdcl_mm.seg import BDCLOCRHead, check_config
from tests._shared.paths import REPO

SEG_CONFIGS = sorted(
    glob.glob(osp.join(REPO, 'configs', 'bdcl', 'hrnet_ocr_*.py')) +
    glob.glob(osp.join(REPO, 'configs', 'bdcl', 'bdcl_ocrnet_*.py')) +
    glob.glob(osp.join(REPO, 'configs', 'baselines', '*tui*.py')) +
    glob.glob(osp.join(REPO, 'configs', 'demo', '*.py')))
# (head at index 1, its decode loss, tdl, use_prototypes) per config file name
BDCL_CE = ('BDCLOCRHead', 'CrossEntropyLoss')
EXPECTED = {
    'hrnet_ocr_tui.py': BDCL_CE + ('balance', True),
    'bdcl_ocrnet_hr48_80k_tui-512x512.py': BDCL_CE + ('balance', True),
    'bdcl_ocrnet_hr48_80k_busi-512x512.py': BDCL_CE + ('balance', True),
    'ocrnet_hr48_80k_tui-512x512.py': ('OCRHead', 'CrossEntropyLoss', None, None),
    'focal_ocrnet_hr48_80k_tui-512x512.py': ('OCRHead', 'FocalLoss', None, None),
    'lovasz_ocrnet_hr48_80k_tui-512x512.py': ('OCRHead', 'LovaszLoss', None, None),
    'softiou_ocrnet_hr48_80k_tui-512x512.py': ('OCRHead', 'SoftIoULoss', None, None),
    'scl_ocrnet_hr48_80k_tui-512x512.py': BDCL_CE + ('none', False),
    'bdcl-wo-tdl_ocrnet_hr48_80k_tui-512x512.py': BDCL_CE + ('none', True),
    'bdcl-wo-hep_ocrnet_hr48_80k_tui-512x512.py': BDCL_CE + ('balance', False),
    'bdcl-tdl-paper_ocrnet_hr48_80k_tui-512x512.py': BDCL_CE + ('paper', True),
    'bdcl-scope-image_ocrnet_hr48_80k_tui-512x512.py': BDCL_CE + ('balance', True),
    'bdcl_ocrnet_hr18s_600it_tui-demo-128x128.py': BDCL_CE + ('balance', True),
    # the LDAM-DRW rival (tests/test_seg/test_ldam_configs.py trains them)
    'ldam-drw_ocrnet_hr48_80k_tui-512x512.py': ('CosineDecodeHead', 'LDAMLoss', None, None),
    'ldam-drw_ocrnet_hr18s_600it_tui-demo-128x128.py': ('CosineDecodeHead', 'LDAMLoss', None,
                                                         None),

    # TSCLoss on the same contrast path (its own checks: test_tsc_configs.py)
    'tsc_ocrnet_hr48_80k_tui-512x512.py': BDCL_CE + ('tsc', None),
    'tsc_ocrnet_hr18s_600it_tui-demo-128x128.py': BDCL_CE + ('tsc', None),
}


def test_every_expected_config_exists():
    assert sorted(osp.basename(p) for p in SEG_CONFIGS) == sorted(EXPECTED)


@pytest.mark.parametrize('path', SEG_CONFIGS, ids=osp.basename)
def test_config_fields(path):
    cfg = Config.fromfile(path)
    check_config(cfg)
    head_type, loss_type, tdl, prototypes = EXPECTED[osp.basename(path)]
    assert cfg.default_scope == 'mmseg'
    assert cfg.custom_imports.imports == ['bdcl_mm.seg']
    assert not cfg.custom_imports.allow_failed_imports
    fcn, ocr = cfg.model.decode_head
    assert fcn.type == 'FCNHead' and fcn.loss_decode.loss_weight == 0.4
    assert ocr.type == head_type and ocr.loss_decode.type == loss_type
    assert fcn.num_classes == ocr.num_classes == 3
    optimizer = cfg.optim_wrapper.optimizer
    assert (optimizer.type, optimizer.lr, optimizer.momentum,
            optimizer.weight_decay) == ('SGD', 0.01, 0.9, 5e-4)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        assert cfg[loader].dataset.type == 'ThyroidUSDataset'
    hooks = [h.type for h in cfg.custom_hooks]
    assert 'SegNumClassesCheckHook' in hooks
    assert ('BDCLHook' in hooks) == (head_type == 'BDCLOCRHead')
    if tdl == 'tsc':
        assert ocr.loss_contrast.type == 'TSCLoss'
    elif head_type == 'BDCLOCRHead':
        contrast = ocr.loss_contrast
        assert contrast.type == 'BDCLLoss' and contrast.loss_weight == 0.1
        assert contrast.get('tdl', 'balance') == tdl
        assert contrast.get('use_prototypes', True) == prototypes
        assert ocr.get('scope', 'batch') == ('image' if 'scope-image' in path else 'batch')
        if tdl == 'paper':  # BDCLLoss's step for the rule, not the 'balance' time constant
            assert contrast.get('tdl_lr') is None
    if 'demo' not in path:
        root = 'data/BUSI' if 'busi' in osp.basename(path) else 'data/TUI'
        assert cfg.train_dataloader.dataset.data_root == root
        assert cfg.crop_size == (512, 512) and cfg.model.data_preprocessor.size == (512, 512)
        assert ocr.in_channels == [48, 96, 192, 384]
        assert cfg.model.pretrained == 'open-mmlab://msra/hrnetv2_w48'
        assert cfg.model.backbone.extra.stage4.num_channels == (48, 96, 192, 384)
    else:
        assert cfg.model.pretrained is None and cfg.crop_size == (128, 128)


EVALUATED_CONFIGS = sorted(
    SEG_CONFIGS + glob.glob(osp.join(REPO, 'configs', 'bdcl', 'bdcl_*_tui-512x512.py')) +
    [osp.join(REPO, 'benchmarks', 'configs', 'seg_ocr_ce_hr18s_tui_bench.py')])


@pytest.mark.parametrize('path', sorted(set(EVALUATED_CONFIGS)), ids=osp.basename)
def test_configs_evaluate_iou_and_surface_distances(path):
    """Every TUI config (through its dataset base) reports IoU / Dice and HD95 / ASSD."""
    cfg = Config.fromfile(path)
    for evaluator in (cfg.val_evaluator, cfg.test_evaluator):
        assert [m.type for m in evaluator] == ['IoUMetric', 'SurfaceDistanceMetric']
        assert evaluator[0].iou_metrics == ['mIoU', 'mDice']
    assert 'bdcl_mm.seg' in cfg.custom_imports.imports


def test_demo_model_builds_and_trains_one_step():
    cfg = Config.fromfile(
        osp.join(REPO, 'configs', 'demo', 'bdcl_ocrnet_hr18s_600it_tui-demo-128x128.py'))
    with DefaultScope.overwrite_default_scope('mmseg'):
        model = MODELS.build(cfg.model)
    head = model.decode_head[1]
    assert isinstance(head, BDCLOCRHead) and head.loss_contrast.num_classes == 3
    hub = MessageHub.get_current_instance()
    hub.update_info('iter', head.contrast_warmup_iters)
    torch.manual_seed(0)
    batch = dict(inputs=[], data_samples=[])
    for _ in range(2):
        label = torch.zeros(1, 128, 128, dtype=torch.long)
        label[:, 30:70, 40:90] = 1
        label[:, 90:100, 20:30] = 2
        sample = SegDataSample(metainfo=dict(img_shape=(128, 128), ori_shape=(128, 128)))
        sample.gt_sem_seg = PixelData(data=label)
        batch['inputs'].append(torch.randint(0, 256, (3, 128, 128), dtype=torch.uint8))
        batch['data_samples'].append(sample)
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01))
    try:
        log = model.train_step(batch, optim)
    finally:
        hub.update_info('iter', 0)
    assert log['decode_1.loss_bdcl'] > 0 and 'decode_0.loss_ce' in log


def test_head_snippet_ports_to_another_host_config(tmp_path):
    """Copying custom_imports, model.decode_head and custom_hooks gives BDCL in a Cityscapes config
    (W48, so this also builds the full-size model)."""
    bdcl = Config.fromfile(osp.join(REPO, 'configs', 'bdcl', 'hrnet_ocr_tui.py'))
    heads = bdcl.model.decode_head.to_dict() if hasattr(
        bdcl.model.decode_head, 'to_dict') else [dict(h) for h in bdcl.model.decode_head]
    for head in heads:
        head['num_classes'] = 19
    text = (f"_base_ = ['mmseg::ocrnet/ocrnet_hr48_4xb2-80k_cityscapes-512x1024.py']\n"
            f"custom_imports = {bdcl.custom_imports.to_dict()!r}\n"
            f'model = dict(pretrained=None, decode_head={heads!r})\n'
            f'custom_hooks = {[h.to_dict() for h in bdcl.custom_hooks]!r}\n')
    path = tmp_path / 'cityscapes_bdcl.py'
    path.write_text(text)
    cfg = Config.fromfile(str(path))
    check_config(cfg)
    with DefaultScope.overwrite_default_scope('mmseg'):
        model = revert_sync_batchnorm(MODELS.build(cfg.model))
    head = model.decode_head[1]
    assert isinstance(head, BDCLOCRHead) and head.in_channels == 720
    assert head.loss_contrast.num_classes == 19 and head.loss_contrast.feat_dim == 256
    assert head.projector[0].conv.out_channels == 720 and head.projector[1].out_channels == 256
    assert not any(isinstance(m, torch.nn.SyncBatchNorm) for m in model.modules())
    cfg.model.decode_head[1].num_classes = 3
    with pytest.raises(ValueError, match=r'decode_head\[1\]\.num_classes=3 .* 19 classes'):
        check_config(cfg)
