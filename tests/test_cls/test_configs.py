"""Every classification config loads, its model builds, and the recipe's key settings hold."""
import glob
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.registry import init_default_scope
from mmpretrain.registry import MODELS

import bdcl_mm.cls  # noqa: F401
from bdcl_mm.cls import check_config
from tests._shared.paths import REPO

CONFIGS = sorted(
    glob.glob(osp.join(REPO, 'configs/bdcl/*_resnet50_*.py')) + [
        p for p in glob.glob(osp.join(REPO, 'configs/baselines/*.py')) if any(
            k in osp.basename(p) for k in ('isic', 'kvasir', 'fmnist'))
    ] + glob.glob(osp.join(REPO, 'configs/fmnist_lt/*.py')))
NUM_CLASSES = {'isic2019': 8, 'hyper-kvasir': 23, 'fmnist': 10}


def test_the_recipe_configs_exist():
    names = {osp.basename(p) for p in CONFIGS}
    assert len(names) >= 28
    for ds in ('isic2019', 'hyper-kvasir'):
        assert {
            f'bdcl_resnet50_stage1-100e_{ds}-224.py', f'bdcl_resnet50_stage2-crt-30e_{ds}-224.py',
            f'ce_resnet50_100e_{ds}-224.py', f'focal_resnet50_100e_{ds}-224.py'
        } <= names


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: osp.relpath(p, REPO))
def test_config_loads_and_model_builds(path):
    cfg = Config.fromfile(path)
    assert cfg.default_scope == 'mmpretrain'
    assert 'bdcl_mm.cls' in cfg.custom_imports['imports']
    init_default_scope('mmpretrain')
    model_cfg = cfg.model.copy()
    model_cfg.setdefault('data_preprocessor', cfg.get('data_preprocessor'))
    model = MODELS.build(model_cfg)
    name = osp.basename(path)
    num_classes = next(n for key, n in NUM_CLASSES.items() if key in name)
    assert model.head.num_classes == num_classes
    opt = cfg.optim_wrapper.optimizer
    assert (opt.type, opt.lr, opt.momentum, opt.weight_decay) == ('SGD', 0.01, 0.9, 1e-4)
    assert 'end' not in cfg.param_scheduler  # follows train_cfg.max_epochs overrides
    # the benchmark sets val_evaluator.1.train_class_counts: index 1 is the imbalance metric
    for evaluator in (cfg.val_evaluator, cfg.test_evaluator):
        assert [m.type for m in evaluator] == ['Accuracy', 'ImbalanceMetric']

    pipeline = cfg.train_dataloader.dataset.pipeline
    is_stage1 = any(t['type'] == 'MultiView' for t in pipeline)
    if 'stage1' in name:
        assert is_stage1 and type(model).__name__ == 'BDCLImageClassifier'
        assert [h.type for h in cfg.custom_hooks] == ['BDCLHook']
        contrast = model.head.loss_contrast
        # the plugin's default rule is 'balance'; every ablation (w/o TDL, w/o HEP) is of it
        expect = {
            'scl': ('none', False),
            'wo-tdl': ('none', True),
            'wo-hep': ('balance', False),
            'tdl-paper': ('paper', True),
            'tdl-descent': ('descent', True),
            'tdl-ascent': ('ascent', True),
        }
        default = ('balance', True)
        tdl, protos = next((v for k, v in expect.items() if k in name), default)
        assert (contrast.tdl, contrast.use_prototypes) == (tdl, protos)
        # the view pipeline produces two views of the input size
        size = 28 if 'fmnist' in name else 224
        shape = (28, 28) if 'fmnist' in name else (300, 260, 3)
        img = np.random.default_rng(0).integers(0, 255, shape).astype(np.uint8)
        np.random.seed(0)  # mmpretrain's random transforms draw from numpy's global state
        packed = Compose(pipeline[1:])(
            dict(img=img, img_shape=img.shape[:2], ori_shape=img.shape[:2], gt_label=1))
        assert len(packed['inputs']) == 2
        assert tuple(packed['inputs'][0].shape[-2:]) == (size, size)
    elif 'stage2' in name:
        assert cfg.model.backbone.frozen_stages == 4 and cfg.model.backbone.norm_eval
        assert cfg.model.head.type == 'CRTClsHead'
        assert cfg.train_dataloader.sampler == dict(type='ClassBalancedSampler', num_samples_cls=4)
        assert cfg.load_from is None
        with pytest.raises(ValueError, match='load_from'):
            check_config(cfg)
        cfg.load_from = 'stage1.pth'
        check_config(cfg)
        model.train()
        assert not any(p.requires_grad for p in model.backbone.parameters())
        assert not any(m.training
                       for m in model.backbone.modules() if isinstance(m, torch.nn.BatchNorm2d))
    else:
        assert not is_stage1 and type(model).__name__ == 'ImageClassifier'


def test_multi_view_pipeline_needs_the_multi_view_classifier():
    cfg = Config.fromfile(
        osp.join(REPO, 'configs/fmnist_lt/bdcl_resnet18s_stage1-200e_fmnist-lt-28.py'))
    check_config(cfg)
    cfg.model.type = 'ImageClassifier'
    with pytest.raises(ValueError, match='BDCLImageClassifier'):
        check_config(cfg)


def test_imagenet_init_is_one_cfg_option_away_and_satisfies_the_stage2_check():
    cfg = Config.fromfile(
        osp.join(REPO, 'configs/bdcl/bdcl_resnet50_stage2-crt-30e_isic2019-224.py'))
    cfg.merge_from_dict({
        'model.backbone.init_cfg.type': 'Pretrained',
        'model.backbone.init_cfg.checkpoint': 'stage1.pth',
        'model.backbone.init_cfg.prefix': 'backbone.'
    })
    assert cfg.model.backbone.init_cfg == dict(
        type='Pretrained', checkpoint='stage1.pth', prefix='backbone.')
    check_config(cfg)
