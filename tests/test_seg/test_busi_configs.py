"""The BUSI configs: the TUI configs with the BUSI data root, loading and building through the
registries, and reading a converted BUSI-like tree."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.model import revert_sync_batchnorm
from mmengine.registry import DefaultScope
from mmseg.registry import DATASETS, MODELS

import bdcl_mm.seg  # noqa: F401
from bdcl_mm.datasets.converters import convert_busi
from bdcl_mm.seg import check_config
from tests._shared.busi_tree import make_busi_tree
from tests._shared.paths import CONFIGS
from tests._shared.tiny_configs import shrink_hrnet

BUSI_BASE = osp.join(CONFIGS, '_base_', 'datasets', 'busi_512x512.py')
TUI_BASE = osp.join(CONFIGS, '_base_', 'datasets', 'tui_512x512.py')
# BUSI config -> its TUI counterpart
PAIRS = {
    'bdcl_ocrnet_hr48_80k_busi-512x512.py': 'bdcl_ocrnet_hr48_80k_tui-512x512.py',
    'bdcl_unet-s5-d16_fcn_80k_busi-512x512.py': 'bdcl_unet-s5-d16_fcn_80k_tui-512x512.py',
}
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')
DATA_KEYS = LOADERS + ('val_evaluator', 'test_evaluator', 'data_root')


def _load(name):
    return Config.fromfile(osp.join(CONFIGS, 'bdcl', name))


def _with_root(cfg, root):
    """The config's data keys as plain dicts, the loaders' data root set to ``root``."""
    data = {
        key: cfg[key].to_dict() if hasattr(cfg[key], 'to_dict') else cfg[key]
        for key in DATA_KEYS
    }
    for loader in LOADERS:
        data[loader]['dataset']['data_root'] = root
    data['data_root'] = root
    return data


def test_busi_base_is_the_tui_base_with_the_busi_root():
    busi, tui = Config.fromfile(BUSI_BASE), Config.fromfile(TUI_BASE)
    for loader in LOADERS:
        assert busi[loader].dataset.data_root == 'data/BUSI'
    assert _with_root(busi, 'x') == _with_root(tui, 'x')
    assert sorted(busi.keys()) == sorted(tui.keys())


@pytest.mark.parametrize('name', sorted(PAIRS))
def test_busi_config_is_its_tui_config_on_busi_data(name):
    busi, tui, base = _load(name), _load(PAIRS[name]), Config.fromfile(BUSI_BASE)
    check_config(busi)
    assert _with_root(busi, 'data/BUSI') == _with_root(base, 'data/BUSI')
    assert busi.train_dataloader.dataset.data_root == 'data/BUSI'
    assert busi.test_dataloader.dataset.data_root == 'data/BUSI'
    if 'unet' in name:  # non-square images: the test input is padded for the UNet
        assert busi.model.data_preprocessor.test_cfg == dict(size_divisor=16)
    for key in set(busi.keys()) | set(tui.keys()):
        if key not in DATA_KEYS:
            assert busi.get(key) == tui.get(key), key


@pytest.fixture(scope='module')
def busi_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('busi')
    make_busi_tree(root / 'src', counts=(5, 5, 5), size=(48, 40))
    convert_busi(str(root / 'src'), str(root / 'BUSI'), progress=False)
    return str(root / 'BUSI')


@pytest.mark.parametrize('name', sorted(PAIRS))
def test_busi_config_builds_its_datasets_and_model(name, busi_root):
    cfg = _load(name)
    with DefaultScope.overwrite_default_scope('mmseg'):
        for loader, count in (('train_dataloader', 12), ('val_dataloader', 3)):
            dataset = DATASETS.build(dict(cfg[loader].dataset, data_root=busi_root))
            assert len(dataset) == count
            assert dataset.metainfo['classes'] == ('background', 'benign', 'malignant')
            cat_ids = {c for i in range(count) for c in dataset.get_cat_ids(i)}
            assert cat_ids == {0, 1, 2}
            sample = dataset[0]['data_samples']
            assert set(sample.gt_sem_seg.data.unique().tolist()) <= {0, 1, 2}
        cfg.model.pretrained = None
        if 'ocrnet' in name:
            shrink_hrnet(cfg.model)
            cfg.model.decode_head[1].proj_channels = 16
        model = revert_sync_batchnorm(MODELS.build(cfg.model)).eval()
    with torch.no_grad():
        logits = model(torch.zeros(1, 3, 64, 64), mode='tensor')
    assert logits.shape[1] == 3
