"""BDCL on every supported mmseg model, from the shipped configs: 2 Runner iterations with a finite
``loss_bdcl``, then the same logits as the host model (the config without BDCL) with the same
weights. Sizes are shrunk with config overrides; everything else is the shipped config."""
import copy
import math
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MessageHub
from mmengine.model import revert_sync_batchnorm
from mmengine.registry import DefaultScope
from mmengine.runner import Runner
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

import bdcl_mm.seg  # noqa: F401
from bdcl_mm.seg import PixelContrastMixin, check_config
from bdcl_mm.seg.model_checks import host_model_config
from bdcl_mm.datasets.synthetic_us import write_dataset
from tests._shared.paths import REPO
from tests._shared.tiny_configs import (TINY_HRNET_CHANNELS, shrink_hrnet,
                                       two_iteration_seg_run)


def _hrnet(cfg):
    ocr = shrink_hrnet(cfg.model)
    ocr.update(proj_channels=16)
    return ocr


def _unet(cfg):
    cfg.model.backbone.base_channels = 8
    cfg.model.decode_head.update(in_channels=8, channels=8)
    cfg.model.auxiliary_head.update(in_channels=16, channels=8)
    return cfg.model.decode_head


def _deeplabv3plus(cfg):
    cfg.model.backbone.update(depth=18, stem_channels=8, base_channels=8)
    cfg.model.decode_head.update(in_channels=64, c1_in_channels=8, channels=16, c1_channels=4)
    cfg.model.auxiliary_head.update(in_channels=32, channels=8)
    return cfg.model.decode_head


def _segformer(cfg):
    cfg.model.backbone.update(init_cfg=None, embed_dims=8, num_layers=[1, 1, 1, 1])
    cfg.model.decode_head.update(in_channels=[8, 16, 40, 64], channels=16)
    return cfg.model.decode_head


# config file, shrink function, loss key of the BDCL head, feature channels of its projection
MODELS_UNDER_TEST = {
    'hrnet_ocr': ('hrnet_ocr_tui.py', _hrnet, 'decode_1.loss_bdcl', sum(TINY_HRNET_CHANNELS)),
    'unet_fcn': ('bdcl_unet-s5-d16_fcn_80k_tui-512x512.py', _unet, 'decode.loss_bdcl', 8),
    'deeplabv3plus': ('bdcl_deeplabv3plus_r50-d8_80k_tui-512x512.py', _deeplabv3plus,
                      'decode.loss_bdcl', 16),
    'segformer': ('bdcl_segformer_mit-b0_80k_tui-512x512.py', _segformer, 'decode.loss_bdcl', 16),
}


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('tui')
    write_dataset(str(root), 4, 2, size=64, seed=0, progress=False)
    return str(root)


def tiny_config(name, data_root, work_dir):
    file, shrink, _, _ = MODELS_UNDER_TEST[name]
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'bdcl', file))
    check_config(cfg)
    head = shrink(cfg)
    head.update(contrast_warmup_iters=0, max_views=32, max_samples=128)
    two_iteration_seg_run(cfg, data_root)
    cfg.work_dir = str(work_dir)
    cfg.randomness = dict(seed=0)
    return cfg


def _all_heads(model_cfg):
    for key in ('decode_head', 'auxiliary_head'):
        heads = model_cfg.get(key)
        for head in heads if isinstance(heads, (list, tuple)) else [heads] if heads else []:
            yield head


def test_build_tiny_configs_are_the_shipped_ones(data_root, tmp_path):
    for name, (file, _, _, _) in MODELS_UNDER_TEST.items():
        shipped = Config.fromfile(osp.join(REPO, 'configs', 'bdcl', file))
        tiny = tiny_config(name, data_root, tmp_path)
        assert tiny.model.type == shipped.model.type
        assert tiny.model.backbone.type == shipped.model.backbone.type
        assert [h.type for h in _all_heads(tiny.model)] == [
            h.type for h in _all_heads(shipped.model)]
        assert shipped.default_scope == 'mmseg'
        assert shipped.train_dataloader.dataset.type == 'ThyroidUSDataset'
        assert shipped.train_dataloader.dataset.data_root == 'data/TUI'
        assert shipped.model.data_preprocessor.size == (512, 512)
        assert all(h.num_classes == 3 for h in _all_heads(shipped.model))
        assert [h.type for h in shipped.custom_hooks] == ['BDCLHook', 'SegNumClassesCheckHook']


def _batch(size=64, seed=1):
    gen = torch.Generator().manual_seed(seed)
    inputs, samples = [], []
    for _ in range(2):
        inputs.append(torch.randint(0, 256, (3, size, size), generator=gen, dtype=torch.uint8))
        sample = SegDataSample(metainfo=dict(img_shape=(size, size), ori_shape=(size, size),
                                             pad_shape=(size, size)))
        sample.gt_sem_seg = PixelData(data=torch.zeros(1, size, size, dtype=torch.long))
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


@pytest.mark.parametrize('name', sorted(MODELS_UNDER_TEST))
def test_two_iterations_then_host_identical_logits(name, data_root, tmp_path):
    _, _, loss_key, feat_channels = MODELS_UNDER_TEST[name]
    cfg = tiny_config(name, data_root, tmp_path / 'work')
    runner = Runner.from_cfg(cfg)
    try:
        runner.train()
    finally:
        MessageHub.get_current_instance().update_info('iter', 0)
    model = runner.model
    heads = [m for m in model.modules() if isinstance(m, PixelContrastMixin)]
    assert len(heads) == 1 and heads[0].contrast_in_channels == feat_channels
    losses = runner.message_hub.get_scalar(f'train/{loss_key}').data[0]
    assert len(losses) == 2 and all(math.isfinite(v) and v > 0 for v in losses)
    assert heads[0].loss_contrast.prototype_valid.any()  # BDCLHook applied the HEP update

    with DefaultScope.overwrite_default_scope('mmseg'):
        host = revert_sync_batchnorm(MODELS.build(host_model_config(cfg.model)))
    assert not any(isinstance(m, PixelContrastMixin) for m in host.modules())
    missing, unexpected = host.load_state_dict(model.state_dict(), strict=False)
    assert missing == []
    assert unexpected and all('.projector.' in k or '.loss_contrast.' in k for k in unexpected)
    model.eval()
    host.eval()
    with torch.no_grad():
        ours = model.test_step(copy.deepcopy(_batch()))
        theirs = host.test_step(copy.deepcopy(_batch()))
    for a, b in zip(ours, theirs):
        assert torch.equal(a.seg_logits.data, b.seg_logits.data)


def test_host_model_config_restores_the_host_heads():
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'bdcl', MODELS_UNDER_TEST['unet_fcn'][0]))
    host = host_model_config(cfg.model)
    assert host.decode_head.type == 'FCNHead' and 'loss_contrast' not in host.decode_head
    assert 'host_type' not in host.decode_head and host.decode_head.num_classes == 3
    assert cfg.model.decode_head.type == 'BDCLDecodeHead'  # the input is unchanged


@pytest.mark.skipif(not torch.cuda.is_available(), reason='AMP trains on a CUDA GPU')
@pytest.mark.parametrize('name', ['unet_fcn', 'segformer'])
def test_amp_cuda_step_keeps_the_contrast_in_float32(name, data_root, tmp_path):
    from mmengine.optim import AmpOptimWrapper
    from bdcl_mm.engine.hooks import update_bdcl_loss
    cfg = tiny_config(name, data_root, tmp_path)
    with DefaultScope.overwrite_default_scope('mmseg'):
        model = revert_sync_batchnorm(MODELS.build(cfg.model)).cuda().train()
    head = next(m for m in model.modules() if isinstance(m, PixelContrastMixin))
    optim = AmpOptimWrapper(optimizer=torch.optim.SGD(model.parameters(), lr=0.01))
    batch = _batch()
    for sample in batch['data_samples']:
        sample.gt_sem_seg.data[:, 20:40, 10:30] = 1
        sample.gt_sem_seg.data[:, 45:52, 40:47] = 2
    for _ in range(2):
        log = model.train_step(copy.deepcopy(batch), optim)
        update_bdcl_loss(head.loss_contrast)
    assert math.isfinite(float(log['decode.loss_bdcl'])) and float(log['decode.loss_bdcl']) > 0
    assert head.loss_contrast.log_tau.dtype == torch.float32
    assert torch.isfinite(head.loss_contrast.prototypes).all()
    assert head.loss_contrast.prototype_valid.any()
