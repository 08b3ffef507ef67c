"""The TSC classification configs load, build through the registry and train 2 iterations on CPU
(stage 1 with BDCLHook's update between them; stage 2 the plugin's cRT)."""
import glob
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate
from mmengine.optim import OptimWrapper
from mmengine.registry import init_default_scope
from mmpretrain.registry import MODELS

import bdcl_mm.cls  # noqa: F401
from bdcl_mm.cls import check_config
from bdcl_mm.engine.hooks import update_bdcl_loss
from bdcl_mm.models.losses import TSCLoss
from tests._shared.paths import REPO

CONFIGS = sorted(
    glob.glob(osp.join(REPO, 'configs/baselines/tsc_resnet50_*.py')) +
    glob.glob(osp.join(REPO, 'configs/fmnist_lt/tsc_*.py')))
NUM_CLASSES = {'isic2019': 8, 'hyper-kvasir': 23, 'fmnist': 10}


def test_the_tsc_configs_exist():
    assert sorted(osp.basename(p) for p in CONFIGS) == sorted(
        [f'tsc_resnet50_stage{s}_{ds}-224.py' for ds in ('isic2019', 'hyper-kvasir')
         for s in ('1-100e', '2-crt-30e')] + ['tsc_resnet18s_stage1-200e_fmnist-lt-28.py'])


def _batch(cfg, name, num_images=2):
    shape = (28, 28) if 'fmnist' in name else (96, 80, 3)
    rng = np.random.default_rng(0)
    np.random.seed(0)
    pipeline = Compose(cfg.train_dataloader.dataset.pipeline[1:])
    return pseudo_collate([
        pipeline(dict(img=rng.integers(0, 255, shape).astype(np.uint8), img_shape=shape[:2],
                      ori_shape=shape[:2], gt_label=label)) for label in range(num_images)
    ])


@pytest.mark.parametrize('path', CONFIGS, ids=osp.basename)
def test_config_builds_and_trains_two_iterations(path):
    name = osp.basename(path)
    cfg = Config.fromfile(path)
    if 'stage2' in name:
        cfg.load_from = 'stage1.pth'
    check_config(cfg)
    init_default_scope('mmpretrain')
    model_cfg = cfg.model.copy()
    model_cfg.setdefault('data_preprocessor', cfg.get('data_preprocessor'))
    model = MODELS.build(model_cfg).train()
    num_classes = next(n for key, n in NUM_CLASSES.items() if key in name)
    assert model.head.num_classes == num_classes
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01))
    torch.manual_seed(0)
    if 'stage2' in name:
        assert type(model.head).__name__ == 'CRTClsHead'
        for _ in range(2):
            log = model.train_step(_batch(cfg, name), optim)
            assert torch.isfinite(log['loss'])
        return
    loss = model.head.loss_contrast
    assert isinstance(loss, TSCLoss)
    assert (loss.temperature, loss.target_weight, loss.momentum) == (0.07, 0.2, 0.1)
    assert loss.num_classes == num_classes and loss.feat_dim == model.head.projector[-1].out_features
    assert [h.type for h in cfg.custom_hooks] == ['BDCLHook']
    loss.statistics_consumer_attached = True
    for _ in range(2):
        log = model.train_step(_batch(cfg, name), optim)
        assert torch.isfinite(log['loss_tsc']) and log['loss_tsc'] > 0
        assert update_bdcl_loss(loss) == 'applied'
    assert loss.centroid_valid[:2].all() and not loss.centroid_valid[2:].any()


def test_prototype_hard_examples_need_a_loss_with_prototypes():
    init_default_scope('mmpretrain')
    with pytest.raises(ValueError, match="hard_from='classifier'"):
        MODELS.build(dict(type='BDCLClsHead', num_classes=3, in_channels=8, proj_channels=(8, 4),
                          loss_contrast=dict(type='TSCLoss'), hard_from='prototype'))


def test_too_few_dimensions_for_the_class_targets_name_the_fix():
    init_default_scope('mmpretrain')
    with pytest.raises(ValueError, match=r'TSC needs .* num_classes - 1 = 7.*proj_channels'):
        MODELS.build(dict(type='BDCLClsHead', num_classes=8, in_channels=16,
                          proj_channels=(16, 6), loss_contrast=dict(type='TSCLoss')))
    head = MODELS.build(dict(type='BDCLClsHead', num_classes=8, in_channels=16,
                             proj_channels=(16, 7), loss_contrast=dict(type='TSCLoss')))
    assert head.loss_contrast.targets.shape == (8, 7)
