"""End to end: tools/train.py and tools/test.py, tiny HRNet + BDCLOCRHead on generated images."""
import os.path as osp

import pytest
import torch

from bdcl_mm.engine import safe_torch_load
from bdcl_mm.datasets.synthetic_us import write_dataset
from tests._shared.paths import REPO
from tests._shared.tiny_configs import config_lines, tiny_hrnet_ocr_model
from tests._shared.tool_runner import run_tool

DEMO_CONFIG = osp.join(REPO, 'configs', 'demo', 'bdcl_ocrnet_hr18s_600it_tui-demo-128x128.py')

# The demo config shrunk to 64x64 images and the tiny HRNet; everything else (BDCL head, BDCLHook,
# ThyroidUSDataset, IoUMetric and SurfaceDistanceMetric) comes from the demo config itself.
TINY_MODEL = tiny_hrnet_ocr_model(
    3, dict(type='BN', requires_grad=True), 'BDCLOCRHead', proj_channels=16, max_views=32,
    max_samples=128, contrast_warmup_iters=1,
    loss_contrast=dict(type='BDCLLoss', loss_weight=0.1, tdl='paper', tdl_lr=1e-3))
TINY_MODEL.update(data_preprocessor=dict(size=(64, 64)))
TINY_REST = """
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', reduce_zero_label=False),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', reduce_zero_label=False),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False,
                        dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False,
                      dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader
train_cfg = dict(max_iters=3, val_interval=3)
param_scheduler = [dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end=3, by_epoch=False)]
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=3))
randomness = dict(seed=0)
"""


@pytest.fixture
def tiny(tmp_path):
    data = tmp_path / 'TUI'
    write_dataset(str(data), 6, 2, size=64, seed=0, progress=False)
    config = tmp_path / 'tiny_bdcl_tui.py'
    config.write_text(
        config_lines(_base_=[DEMO_CONFIG], data_root=str(data), crop_size=(64, 64),
                     model=TINY_MODEL) + TINY_REST)
    return tmp_path, config


def test_train_then_test_with_bdcl_head_and_hook(tiny):
    root, config = tiny
    work = root / 'work'
    train = run_tool('train.py', config, '--work-dir', work, cwd=root, check=False)
    log = train.stdout + train.stderr
    assert train.returncode == 0, log[-6000:]
    assert 'decode_1.loss_bdcl' in log and 'bdcl_tau_malignant' in log
    checkpoint = work / 'iter_3.pth'
    state = safe_torch_load(str(checkpoint), map_location='cpu')['state_dict']
    prefix = 'decode_head.1.loss_contrast.'
    for key in ('log_tau', 'prototypes', 'prototype_valid'):
        assert prefix + key in state
    assert state[prefix + 'prototype_valid'].any()  # HEP ran (contrast on from iteration 1)
    assert not torch.allclose(state[prefix + 'log_tau'], torch.log(torch.tensor(0.1)))  # TDL ran
    assert 'decode_head.1.projector.1.weight' in state

    test = run_tool('test.py', config, checkpoint, '--work-dir', root / 'test', cwd=root,
                    check=False)
    log = test.stdout + test.stderr
    assert test.returncode == 0, log[-6000:]
    assert 'mIoU' in log and 'mDice' in log
    assert 'per class surface distances (px):' in log and 'mHD95' in log  # the demo's evaluators
    for name in ('background', 'benign', 'malignant'):
        assert name in log
    assert not (root / 'work_dirs').exists()


def test_num_classes_mismatch_fails_before_training(tiny):
    root, config = tiny
    work = root / 'mismatch'
    proc = run_tool('train.py', config, '--work-dir', work, '--cfg-options',
                    'model.decode_head.1.num_classes=4', cwd=root, check=False)
    assert proc.returncode != 0
    assert ("model.decode_head[1].num_classes=4 but train_dataloader.dataset (ThyroidUSDataset) "
            "has 3 classes") in proc.stderr
    assert not work.exists() or not list(work.glob('*.pth'))


def test_check_hook_stops_a_plain_runner_before_the_first_iteration(tiny):
    """Users of mmseg's own tools get the check from SegNumClassesCheckHook in custom_hooks."""
    from mmengine.config import Config
    from mmengine.runner import Runner
    root, config = tiny
    cfg = Config.fromfile(str(config))
    cfg.work_dir = str(root / 'hooked')
    cfg.model.decode_head[1].num_classes = 4
    runner = Runner.from_cfg(cfg)
    expected = r'decode_head\.1\.num_classes=4 but ThyroidUSDataset has 3'
    with pytest.raises(ValueError, match=expected):
        runner.train()
    assert runner.iter == 0 and not list((root / 'hooked').glob('*.pth'))


@pytest.mark.skipif(torch.cuda.is_available(), reason='checks the CPU message')
def test_amp_without_a_gpu_says_so_before_training(tiny):
    root, config = tiny
    proc = run_tool('train.py', config, '--work-dir', root / 'amp', '--amp', cwd=root,
                    check=False)
    assert proc.returncode != 0
    assert '--amp needs a CUDA GPU' in proc.stderr
    assert not (root / 'amp').exists() or not list((root / 'amp').glob('*.pth'))


@pytest.mark.skipif(not torch.cuda.is_available(), reason='AMP trains on a CUDA GPU')
def test_amp_training_keeps_the_contrast_state_in_float32(tiny):
    root, config = tiny
    work = root / 'amp'
    train = run_tool('train.py', config, '--work-dir', work, '--amp', cwd=root, check=False)
    log = train.stdout + train.stderr
    assert train.returncode == 0, log[-6000:]
    assert 'decode_1.loss_bdcl' in log and 'nan' not in log.lower()
    state = safe_torch_load(str(work / 'iter_3.pth'), map_location='cpu')['state_dict']
    prefix = 'decode_head.1.loss_contrast.'
    assert state[prefix + 'log_tau'].dtype == torch.float32
    assert state[prefix + 'prototypes'].dtype == torch.float32
    assert torch.isfinite(state[prefix + 'log_tau']).all()
    assert state[prefix + 'prototype_valid'].any()
