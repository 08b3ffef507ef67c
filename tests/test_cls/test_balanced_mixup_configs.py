"""Each Balanced-MixUp config loads, builds through the registries and trains 2 iterations on CPU
(a tiny image set with one image per class, small crops), with B mixed images per step."""
import copy
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.runner import Runner

import bdcl_mm.cls  # noqa: F401
from bdcl_mm.cls import BalancedMixUp, PairedBatchClsDataPreprocessor, check_config
from bdcl_mm.datasets.samplers import BalancedMixUpBatchSampler
from tests._shared.paths import REPO

CONFIGS = {
    'configs/baselines/bal-mixup_resnet50_30e_isic2019-224.py': (8, 3, 'meta/val.txt'),
    'configs/baselines/bal-mixup_resnet50_30e_hyper-kvasir-224.py': (23, 3, 'meta/val.txt'),
    'configs/fmnist_lt/bal-mixup_resnet18s_200e_fmnist-lt-28.py': (10, 1, 'meta/test.txt'),
}


def _write_images(root, num_classes, channels, val_file):
    """An even number of images (>= one per class), listed for training and validation."""
    count = num_classes + num_classes % 2
    rng = np.random.default_rng(0)
    lines = []
    for i in range(count):
        shape = (36, 36, 3) if channels == 3 else (28, 28)
        cv2.imwrite(osp.join(root, 'images', f'{i}.png'), rng.integers(0, 255, shape, np.uint8))
        lines.append(f'{i}.png {i % num_classes}\n')
    for name in ('meta/train.txt', val_file):
        with open(osp.join(root, name), 'w') as f:
            f.writelines(lines)
    return count


def _check_mixing(plain, out, num_classes):
    """The head's batch is ``(1 - lam) x_inst + lam x_bal`` with the labels mixed by the same lam.

    ``plain``: the pre-processor's output for the paired batch without mixing (``2B`` normalised
    images and samples); ``out``: what the model got. Returns ``lam``.
    """
    half = out['inputs'].shape[0]
    inst, bal = plain['inputs'][:half], plain['inputs'][half:]
    diff = (bal - inst).flatten()
    lam = float((out['inputs'] - inst).flatten() @ diff / (diff @ diff))
    torch.testing.assert_close(out['inputs'], (1 - lam) * inst + lam * bal, rtol=1e-4, atol=1e-4)
    labels = [int(s.gt_label) for s in plain['data_samples']]
    onehot = F.one_hot(torch.tensor(labels), num_classes).float()
    for i, sample in enumerate(out['data_samples']):
        assert sample.metainfo['sample_idx'] == plain['data_samples'][i].metainfo['sample_idx']
        assert int(sample.gt_label) == labels[i]
        torch.testing.assert_close(sample.gt_score, (1 - lam) * onehot[i] + lam * onehot[half + i])
    return lam


@pytest.mark.parametrize('rel', sorted(CONFIGS))
def test_config_trains_two_iterations(rel, tmp_path, monkeypatch):
    num_classes, channels, val_file = CONFIGS[rel]
    cfg = Config.fromfile(osp.join(REPO, rel))
    check_config(cfg)
    assert cfg.data_preprocessor.batch_augments.augments == dict(type='BalancedMixUp', alpha=0.2)
    assert cfg.model.head.loss == dict(type='CrossEntropyLoss', use_soft=True, loss_weight=1.0)
    (tmp_path / 'images').mkdir()
    (tmp_path / 'meta').mkdir()
    count = _write_images(str(tmp_path), num_classes, channels, val_file)
    if channels == 3:  # ResNet-50 at 32x32 crops
        cfg.train_dataloader.dataset.pipeline[1] = dict(type='RandomResizedCrop', scale=32)
        cfg.val_dataloader.dataset.pipeline[1:3] = [dict(type='Resize', scale=(32, 32))]
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[name].update(num_workers=0, persistent_workers=False)
        cfg[name].dataset.data_root = str(tmp_path)
    cfg.train_dataloader.batch_size = count // 2  # 2 iterations of B = count / 2 mixed images
    cfg.train_cfg.update(max_epochs=1, val_interval=1)
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint.interval = 1
    cfg.work_dir = str(tmp_path / 'work')
    cfg.randomness = dict(seed=0)
    runner = Runner.from_cfg(cfg)
    model = runner.model
    assert isinstance(model.data_preprocessor, PairedBatchClsDataPreprocessor)
    assert isinstance(model.data_preprocessor.batch_augments.augments[0], BalancedMixUp)
    assert model.head.num_classes == num_classes
    batches, mixes = [], []
    original = PairedBatchClsDataPreprocessor.forward

    def record(self, data, training=False):
        plain = original(self, copy.deepcopy(data), False) if training else None  # 2B, unmixed
        out = original(self, data, training)
        if training:
            batches.append(
                (len(data['data_samples']), out['inputs'].shape[0], len(out['data_samples'])))
            mixes.append(_check_mixing(plain, out, num_classes))
        return out

    monkeypatch.setattr(PairedBatchClsDataPreprocessor, 'forward', record)
    runner.train()
    assert isinstance(runner.train_dataloader.batch_sampler, BalancedMixUpBatchSampler)
    half = count // 2
    assert batches == [(2 * half, half, half)] * 2  # 2B in, B images and B samples out
    assert runner.iter == 2
    assert all(0 <= lam <= 1 for lam in mixes) and mixes[0] != mixes[1]  # one draw per batch
    assert np.isfinite(runner.message_hub.get_scalar('train/loss').current())
