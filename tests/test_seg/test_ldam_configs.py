"""The LDAM-DRW segmentation configs (TUI HRNetV2-W48 + OCR and the demo model the segmentation
benchmark runs): load, build through the registry, train 2 iterations on CPU with DRW switched on
at iteration 1, the margins at pixel counts and the DRW weights at mask counts (the segmentation
choice: at pixel counts beta = 0.9999 gives uniform weights)."""
import glob
import math
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MessageHub
from mmengine.runner import Runner
from PIL import Image

import bdcl_mm.seg  # noqa: F401
from bdcl_mm.datasets.synthetic_us import write_dataset
from bdcl_mm.engine.hooks import DRWHook, find_class_count_losses
from bdcl_mm.models.losses import LDAMLoss, effective_number_weights, ldam_margins
from bdcl_mm.seg import CosineClassifierMixin, check_config
from tests._shared.paths import REPO
from tests._shared.tiny_configs import shrink_hrnet, two_iteration_seg_run

CONFIGS = sorted(
    glob.glob(osp.join(REPO, 'configs', 'baselines', 'ldam-drw_*tui*.py')) +
    glob.glob(osp.join(REPO, 'configs', 'demo', 'ldam-drw_*.py')))


def test_the_configs_exist():
    assert [osp.basename(p) for p in CONFIGS] == [
        'ldam-drw_ocrnet_hr48_80k_tui-512x512.py',
        'ldam-drw_ocrnet_hr18s_600it_tui-demo-128x128.py'
    ]


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('tui')
    write_dataset(str(root), 4, 2, size=64, seed=0, progress=False)
    return str(root)


def _mask_counts(data_root):
    counts, presence = np.zeros(3, np.int64), np.zeros(3, np.int64)
    for path in sorted(glob.glob(osp.join(data_root, 'ann_dir', 'train', '*.png'))):
        here = np.bincount(np.asarray(Image.open(path)).ravel(), minlength=3)
        counts += here
        presence += here > 0
    return counts, presence


def _tiny(cfg, data_root, tmp_path):
    shrink_hrnet(cfg.model)
    two_iteration_seg_run(cfg, data_root)
    drw = next(h for h in cfg.custom_hooks if h.type == 'DRWHook')
    drw.update(start=1, cache_dir=str(tmp_path / 'cache'), progress=False)
    cfg.work_dir = str(tmp_path / 'work')
    cfg.randomness = dict(seed=0)
    return cfg


@pytest.mark.parametrize('path', CONFIGS, ids=osp.basename)
def test_config_builds_and_trains_two_iterations(path, data_root, tmp_path):
    cfg = Config.fromfile(path)
    check_config(cfg)
    fcn, ocr = cfg.model.decode_head
    assert (fcn.type, fcn.loss_decode.type) == ('FCNHead', 'CrossEntropyLoss')
    assert (ocr.type, ocr.host_type) == ('CosineDecodeHead', 'OCRHead')
    assert ocr.loss_decode == dict(type='LDAMLoss', max_m=0.5, s=30.0, loss_weight=1.0)
    [drw] = [h for h in cfg.custom_hooks if h.type == 'DRWHook']
    assert (drw.start_ratio, drw.beta, drw.get('weight_counts', 'auto')) == (0.8, 0.9999, 'auto')
    runner = Runner.from_cfg(_tiny(cfg, data_root, tmp_path))
    head = runner.model.decode_head[1]
    assert isinstance(head, CosineClassifierMixin) and type(head).__name__ == 'CosineOCRHead'
    [(_, loss, owner)] = find_class_count_losses(runner.model)
    assert isinstance(loss, LDAMLoss) and owner is head
    used = []
    forward = loss.forward
    loss.forward = lambda *a, **k: used.append(loss.class_weight.clone()) or forward(*a, **k)
    try:
        runner.train()
    finally:
        MessageHub.get_current_instance().update_info('iter', 0)
    losses = runner.message_hub.get_scalar('train/decode_1.loss_ldam').data[0]
    assert len(losses) == 2 and all(math.isfinite(v) and v > 0 for v in losses)
    counts, presence = _mask_counts(data_root)
    # margins at pixel counts, DRW weights at the masks containing each class
    assert loss.class_counts.tolist() == counts.tolist()
    torch.testing.assert_close(loss.class_terms, ldam_margins(counts.tolist(), 0.5).float())
    drw = effective_number_weights(presence.tolist(), 0.9999)
    [hook] = [h for h in runner.hooks if isinstance(h, DRWHook)]
    torch.testing.assert_close(hook.drw_weight, drw)
    assert len(used) == 2
    torch.testing.assert_close(used[0], torch.ones(3))
    torch.testing.assert_close(used[1], drw)
    assert not torch.allclose(drw, torch.ones(3))


def test_pixel_count_drw_is_uniform_hence_mask_counts():
    """A TUI-sized training set (shares 92/5/3% of 400 masks of 512x512): the effective-number
    weights of the pixel counts are uniform, those of the mask counts are not."""
    pixels = (np.array([0.92, 0.05, 0.03]) * 400 * 512 * 512).round()
    torch.testing.assert_close(effective_number_weights(pixels.tolist(), 0.9999),
                               torch.ones(3), atol=1e-6, rtol=0)
    masks = effective_number_weights([400, 380, 150], 0.9999)
    assert masks[2] > masks[1] > masks[0] and masks[2] / masks[0] > 2
    assert ldam_margins([0.92, 0.05, 0.03]).tolist() == pytest.approx([0.212, 0.440, 0.500],
                                                                       abs=5e-4)
