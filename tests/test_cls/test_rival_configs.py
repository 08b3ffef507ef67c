"""The LDAM-DRW and GCL classification configs: load, build through the registry, train 2
iterations.

GCL's stage 2 starts from stage 1's cosine classifier (the reference does) on the frozen
stage-1 backbone.
"""
import glob
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner
from PIL import Image

import bdcl_mm.cls  # noqa: F401
from bdcl_mm.cls import check_config
from bdcl_mm.engine.hooks import ClassCountsHook, DRWHook, find_class_count_losses
from bdcl_mm.models.losses import GCLLoss, LDAMLoss
from tests._shared.paths import REPO

CONFIGS = sorted(
    p for folder in ('baselines', 'fmnist_lt') for p in glob.glob(osp.join(REPO, 'configs', folder,
                                                                          '*.py'))
    if osp.basename(p).startswith(('ldam-drw_', 'gcl_')) and 'tui' not in osp.basename(p))
NUM_CLASSES = {'isic2019': 8, 'hyper-kvasir': 23, 'fmnist': 10}
EXPECTED = {  # name part -> (loss type, its settings, hook type)
    'ldam-drw': (LDAMLoss, dict(max_m=0.5, s=30.0), DRWHook),
    'stage1': (GCLLoss, dict(m=0.0, s=30.0, noise_mul=0.5, gamma=None), ClassCountsHook),
    'stage2': (GCLLoss, dict(m=0.1, s=20.0, noise_mul=0.5, gamma=1.0), ClassCountsHook),
}


def test_the_rival_configs_exist():
    names = {osp.basename(p) for p in CONFIGS}
    for ds in ('isic2019', 'hyper-kvasir'):
        assert {f'ldam-drw_resnet50_100e_{ds}-224.py', f'gcl_resnet50_stage1-100e_{ds}-224.py',
                f'gcl_resnet50_stage2-crt-30e_{ds}-224.py'} <= names
    assert {'ldam-drw_resnet18s_200e_fmnist-lt-28.py', 'gcl_resnet18s_stage1-200e_fmnist-lt-28.py',
            'gcl_resnet18s_stage2-crt-10e_fmnist-lt-28.py'} <= names


def _write_data(root, num_classes, gray):
    n = num_classes + num_classes % 2  # every class present; two batches
    (root / 'images').mkdir(parents=True)
    (root / 'meta').mkdir()
    rng = np.random.default_rng(0)
    lines = []
    for i in range(n):
        shape = (28, 28) if gray else (40, 48, 3)
        Image.fromarray(rng.integers(0, 255, shape).astype(np.uint8)).save(root / 'images' /
                                                                              f'{i}.png')
        lines.append(f'{i}.png {i % num_classes}\n')
    (root / 'meta' / 'train.txt').write_text(''.join(lines))
    return n


def _tiny(cfg, tmp_path, num_classes, checkpoint=False):
    gray = num_classes == 10
    n = _write_data(tmp_path / 'data', num_classes, gray)
    loader = cfg.train_dataloader
    loader.update(batch_size=n // 2, num_workers=0, persistent_workers=False)
    loader.dataset.update(data_root=str(tmp_path / 'data'), ann_file='meta/train.txt',
                          data_prefix='images')
    for t in loader.dataset.pipeline:
        if t.type == 'RandomResizedCrop':
            t.scale = 32
    for key in ('val_dataloader', 'val_cfg', 'val_evaluator', 'test_dataloader', 'test_cfg',
                'test_evaluator'):
        cfg[key] = None
    cfg.train_cfg = dict(by_epoch=True, max_epochs=1)
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=1) if checkpoint else None
    for hook in cfg.custom_hooks:
        if hook.type in ('ClassCountsHook', 'DRWHook'):  # the counting hooks' progress bar
            hook.progress = False
    cfg.work_dir = str(tmp_path / 'work')
    cfg.randomness = dict(seed=0)
    return cfg


@pytest.mark.parametrize('path', CONFIGS, ids=osp.basename)
def test_config_builds_and_trains_two_iterations(path, tmp_path):
    name = osp.basename(path)
    num_classes = next(n for key, n in NUM_CLASSES.items() if key in name)
    cfg = Config.fromfile(path)
    loss_type, settings, hook_type = next(v for k, v in EXPECTED.items() if k in name)
    assert cfg.model.head.type == 'CosineClsHead' and cfg.model.head.num_classes == num_classes
    assert (cfg.model.get('train_cfg') or {}).get('augments') == (
        dict(type='Mixup', alpha=1.0) if 'stage1' in name else None)
    if 'stage2' in name:
        assert cfg.model.backbone.frozen_stages == 4 and cfg.model.backbone.norm_eval
        assert cfg.train_dataloader.sampler == dict(type='ClassBalancedSampler', num_samples_cls=4)
        with pytest.raises(ValueError, match='load_from'):
            check_config(cfg)
    runner = Runner.from_cfg(_tiny(cfg, tmp_path, num_classes))
    [(_, loss, head)] = find_class_count_losses(runner.model)
    assert type(loss) is loss_type and head is runner.model.head
    assert {k: getattr(loss, k) for k in settings} == settings
    assert any(type(h) is hook_type for h in runner.hooks)
    runner.train()
    assert runner.iter == 2
    n = num_classes + num_classes % 2
    expected = np.bincount(np.arange(n) % num_classes, minlength=num_classes)
    assert loss.class_counts.tolist() == expected.tolist()
    assert torch.equal(loss.class_weight, torch.ones(num_classes))  # DRW at 80%: not reached


class _HeadAtStart(Hook):
    priority = 'LOWEST'

    def before_train(self, runner):
        self.weight = runner.model.head.fc.weight.detach().clone()
        self.backbone = {k: v.clone() for k, v in runner.model.backbone.state_dict().items()}


def test_gcl_stage2_starts_from_the_stage1_classifier(tmp_path):
    stage1 = Config.fromfile(osp.join(REPO, 'configs/fmnist_lt/gcl_resnet18s_stage1-200e_'
                                      'fmnist-lt-28.py'))
    runner = Runner.from_cfg(_tiny(stage1, tmp_path / 's1', 10, checkpoint=True))
    runner.train()
    ckpt = osp.join(str(tmp_path / 's1' / 'work'), 'epoch_1.pth')
    stage2 = Config.fromfile(osp.join(REPO, 'configs/fmnist_lt/gcl_resnet18s_stage2-crt-10e_'
                                      'fmnist-lt-28.py'))
    stage2 = _tiny(stage2, tmp_path / 's2', 10)
    stage2.load_from = ckpt
    check_config(stage2)
    runner2 = Runner.from_cfg(stage2)
    probe = _HeadAtStart()
    runner2.register_hook(probe)
    runner2.train()
    torch.testing.assert_close(probe.weight, runner.model.head.fc.weight.detach())
    assert not torch.equal(runner2.model.head.fc.weight.detach(), probe.weight)  # it trains
    after = runner2.model.backbone.state_dict()
    assert all(torch.equal(after[k], v) for k, v in probe.backbone.items())  # frozen
