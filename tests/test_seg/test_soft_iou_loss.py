"""SoftIoULoss: registry, mmseg's loss interface, inside a decode head, and its configs train."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner
from mmseg.registry import MODELS

import bdcl_mm.seg  # noqa: F401
from bdcl_mm.datasets.synthetic_us import write_dataset
from bdcl_mm.models.losses import soft_iou_loss
from bdcl_mm.seg import SoftIoULoss, check_config
from tests._shared.paths import REPO
from tests._shared.tiny_configs import shrink_hrnet

CONFIGS = [
    osp.join(REPO, 'configs', 'baselines', 'softiou_ocrnet_hr48_80k_tui-512x512.py'),
    osp.join(REPO, 'benchmarks', 'configs', 'seg_ocr_softiou_hr18s_tui_bench.py'),
]


def _batch(seed=0):
    gen = torch.Generator().manual_seed(seed)
    logits = torch.randn(2, 3, 8, 8, generator=gen)
    target = torch.randint(0, 3, (2, 8, 8), generator=gen)
    target[:, :2] = 255
    return logits, target


def test_builds_from_the_mmseg_registry_with_the_loss_interface():
    loss = MODELS.build(dict(type='SoftIoULoss', loss_weight=0.5))
    assert isinstance(loss, SoftIoULoss) and loss.loss_name == 'loss_softiou'
    logits, target = _batch()
    value = loss(logits, target, weight=None, ignore_index=255, avg_factor=None)
    torch.testing.assert_close(value, 0.5 * soft_iou_loss(logits, target))
    weight = torch.rand(2, 8, 8)
    torch.testing.assert_close(loss(logits, target, weight=weight),
                               0.5 * soft_iou_loss(logits, target, weight=weight))
    relabelled = torch.where(target == 255, torch.full_like(target, 7), target)
    torch.testing.assert_close(loss(logits, relabelled, ignore_index=7), value)


@pytest.mark.parametrize('kwargs, match', [
    (dict(loss_name='softiou'), "must start with 'loss_'"),
    (dict(eps=0.0), 'eps'),
    (dict(smooth=-1.0), 'smooth'),
])
def test_misconfiguration_is_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        SoftIoULoss(**kwargs)


def test_goes_into_a_decode_heads_loss_decode_beside_ce():
    head = MODELS.build(
        dict(type='FCNHead', in_channels=4, channels=4, num_convs=1, num_classes=3,
             loss_decode=[dict(type='CrossEntropyLoss', loss_weight=1.0),
                          dict(type='SoftIoULoss', loss_weight=1.0)]))
    logits, target = _batch(1)
    losses = head.loss_by_feat(logits.requires_grad_(), [_sample(target[0]), _sample(target[1])])
    assert set(losses) >= {'loss_ce', 'loss_softiou'}
    torch.testing.assert_close(losses['loss_softiou'], soft_iou_loss(logits, target))
    losses['loss_softiou'].backward()
    assert logits.grad.abs().sum() > 0


def _sample(label):
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    sample = SegDataSample(metainfo=dict(img_shape=label.shape, ori_shape=label.shape))
    sample.gt_sem_seg = PixelData(data=label[None])
    return sample


@pytest.mark.parametrize('path', CONFIGS, ids=osp.basename)
def test_config_loads_builds_and_trains_two_iterations(path, tmp_path):
    cfg = Config.fromfile(path)
    check_config(cfg)
    fcn, ocr = cfg.model.decode_head
    assert ocr.type == 'OCRHead' and ocr.loss_decode.type == 'SoftIoULoss'
    assert fcn.loss_decode.type == 'CrossEntropyLoss' and fcn.loss_decode.loss_weight == 0.4
    data = tmp_path / 'TUI'
    write_dataset(str(data), 4, 2, size=64, seed=0, progress=False)
    shrink_hrnet(cfg.model)
    cfg.model.pretrained = None
    cfg.model.data_preprocessor.size = (64, 64)
    pipeline = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'),
                dict(type='PackSegInputs')]
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg[name]
        loader.update(batch_size=2, num_workers=0, persistent_workers=False)
        loader.dataset.update(data_root=str(data), pipeline=pipeline)
    cfg.train_cfg.update(max_iters=2, val_interval=2)
    cfg.param_scheduler = [dict(type='PolyLR', power=0.9, begin=0, end=2, by_epoch=False)]
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint.interval = 2
    cfg.work_dir = str(tmp_path / 'work')
    cfg.randomness = dict(seed=0)
    runner = Runner.from_cfg(cfg)
    runner.train()
    scalars = runner.message_hub.log_scalars
    assert 'train/decode_1.loss_softiou' in scalars and 'train/decode_0.loss_ce' in scalars
    assert runner.iter == 2 and 0 < scalars['train/decode_1.loss_softiou'].current() <= 1
