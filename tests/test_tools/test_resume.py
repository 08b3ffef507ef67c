"""tools/train.py --resume: how the flag is read, and a cRT stage 2 that never trains without
stage-1 weights (fresh --resume starts from load_from, a rerun resumes its own checkpoint)."""
import os.path as osp

import pytest
import torch

from bdcl_mm.engine import safe_torch_load
from bdcl_mm.engine.resume import normalize_resume_args
from tests._shared.tool_runner import run_tool

STAGE2_CONFIG = """
_base_ = ['./tiny_resnet.py']
model = dict(
    backbone=dict(frozen_stages=4, norm_eval=True),
    head=dict(_delete_=True, type='CRTClsHead', num_classes=3, in_channels=64, topk=(1, ),
              loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))
train_cfg = dict(max_epochs=1, val_interval=1)
"""


@pytest.fixture
def ckpt(tmp_path):
    path = tmp_path / 'iter_2.pth'
    path.write_bytes(b'')
    return str(path)


@pytest.fixture
def config(tmp_path):
    path = tmp_path / 'cfg.py'
    path.write_text('')
    return str(path)


def test_resume_alone_or_before_an_option_or_the_config_is_auto(config):
    assert normalize_resume_args([config, '--resume']) == [config, '--resume=auto']
    assert normalize_resume_args([config, '--resume', '--work-dir', 'w']) == [
        config, '--resume=auto', '--work-dir', 'w']
    assert normalize_resume_args(['--resume', config, '--amp']) == [
        '--resume=auto', config, '--amp']
    assert normalize_resume_args([config, '--resume', 'auto']) == [config, '--resume=auto']


def test_resume_takes_an_existing_checkpoint_only(config, ckpt, tmp_path):
    assert normalize_resume_args([config, '--resume', ckpt]) == [config, f'--resume={ckpt}']
    assert normalize_resume_args([f'--resume={ckpt}', config]) == [f'--resume={ckpt}', config]
    missing = str(tmp_path / 'nope.pth')
    with pytest.raises(ValueError, match='no such checkpoint file.*--resume alone'):
        normalize_resume_args([config, '--resume', missing])
    with pytest.raises(ValueError, match='no such checkpoint file'):
        normalize_resume_args([config, f'--resume={missing}'])


def test_train_tool_resume_before_config_and_missing_path(cls_setup):
    root, config = cls_setup
    work = root / 'work'
    run_tool('train.py', '--resume', config, '--work-dir', work, '--cfg-options',
             'train_cfg.max_epochs=1', cwd=root)
    assert osp.isfile(work / 'epoch_1.pth')
    proc = run_tool('train.py', config, '--resume', root / 'missing.pth', cwd=root, check=False)
    assert proc.returncode == 2 and 'missing.pth: no such checkpoint file' in proc.stderr


def _backbone(path):
    state = safe_torch_load(str(path), map_location='cpu')['state_dict']
    return {k: v for k, v in state.items() if k.startswith('backbone.')}


@pytest.fixture
def stage2_setup(cls_setup):
    root, config = cls_setup
    stage2 = root / 'tiny_crt.py'
    stage2.write_text(STAGE2_CONFIG)
    return root, config, stage2


def test_fresh_stage2_resume_starts_from_load_from_and_rerun_resumes(stage2_setup):
    root, config, stage2 = stage2_setup
    run_tool('train.py', config, '--work-dir', root / 'stage1', '--cfg-options',
             'train_cfg.max_epochs=1', cwd=root)
    stage1_ckpt = root / 'stage1' / 'epoch_1.pth'
    work = root / 'stage2'
    run_tool('train.py', stage2, '--work-dir', work, '--resume', '--cfg-options',
             f'load_from={stage1_ckpt}', cwd=root)
    stage1 = _backbone(stage1_ckpt)
    first = _backbone(work / 'epoch_1.pth')
    assert first.keys() == stage1.keys() and any(k.endswith('running_mean') for k in stage1)
    for key, value in stage1.items():
        assert torch.equal(first[key], value), key

    rerun = run_tool('train.py', stage2, '--work-dir', work, '--resume', '--cfg-options',
                     f'load_from={stage1_ckpt}', 'train_cfg.max_epochs=2', cwd=root)
    log = rerun.stdout + rerun.stderr
    assert 'resumed epoch: 1' in log and osp.isfile(work / 'epoch_2.pth')
    second = safe_torch_load(str(work / 'epoch_2.pth'), map_location='cpu')
    assert second['meta']['epoch'] == 2


def test_stage2_resume_with_nothing_to_resume_and_no_load_from_is_refused(stage2_setup):
    root, _, stage2 = stage2_setup
    work = root / 'stage2'
    proc = run_tool('train.py', stage2, '--work-dir', work, '--resume', cwd=root, check=False)
    assert proc.returncode != 0
    assert 'no checkpoint to resume and no load_from' in proc.stderr
    assert 'load_from=work_dirs/' in proc.stderr
    assert not list(root.glob('stage2/epoch_*.pth'))
