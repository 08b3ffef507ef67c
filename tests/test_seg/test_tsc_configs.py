"""The TSC segmentation configs (full size and demo) load, check, build through the registry
(tiny HRNet widths) and train 2 iterations on CPU with BDCLHook's update between them; the
contrast is on the OCR head only."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MessageHub
from mmengine.model import revert_sync_batchnorm
from mmengine.optim import OptimWrapper
from mmengine.registry import DefaultScope
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

import bdcl_mm.seg  # noqa: F401
from bdcl_mm.engine.hooks import update_bdcl_loss
from bdcl_mm.models.losses import TSCLoss
from bdcl_mm.seg import BDCLOCRHead, check_config
from tests._shared.paths import REPO
from tests._shared.tiny_configs import shrink_hrnet

CONFIGS = [
    osp.join(REPO, 'configs', 'baselines', 'tsc_ocrnet_hr48_80k_tui-512x512.py'),
    osp.join(REPO, 'configs', 'demo', 'tsc_ocrnet_hr18s_600it_tui-demo-128x128.py'),
]
SIZE = 64


def _batch():
    batch = dict(inputs=[], data_samples=[])
    for shift in range(2):
        label = torch.zeros(1, SIZE, SIZE, dtype=torch.long)
        label[:, 10 + shift:40, 12:50] = 1
        label[:, 45:55, 8:20] = 2
        sample = SegDataSample(metainfo=dict(img_shape=(SIZE, SIZE), ori_shape=(SIZE, SIZE)))
        sample.gt_sem_seg = PixelData(data=label)
        batch['inputs'].append(torch.randint(0, 256, (3, SIZE, SIZE), dtype=torch.uint8))
        batch['data_samples'].append(sample)
    return batch


@pytest.mark.parametrize('path', CONFIGS, ids=osp.basename)
def test_config_builds_and_trains_two_iterations(path):
    cfg = Config.fromfile(path)
    check_config(cfg)
    fcn, ocr = cfg.model.decode_head
    assert fcn.type == 'FCNHead' and 'loss_contrast' not in fcn  # the aux head keeps its CE
    assert ocr.type == 'BDCLOCRHead' and ocr.loss_contrast.type == 'TSCLoss'
    assert [h.type for h in cfg.custom_hooks] == ['BDCLHook', 'SegNumClassesCheckHook']
    for evaluator in (cfg.val_evaluator, cfg.test_evaluator):  # as the BDCL configs evaluate
        assert [e.type for e in evaluator] == ['IoUMetric', 'SurfaceDistanceMetric']
    shrink_hrnet(cfg.model)
    cfg.model.pretrained = None
    cfg.model.data_preprocessor.size = (SIZE, SIZE)
    with DefaultScope.overwrite_default_scope('mmseg'):
        model = revert_sync_batchnorm(MODELS.build(cfg.model)).train()
    head = model.decode_head[1]
    loss = head.loss_contrast
    assert isinstance(head, BDCLOCRHead) and isinstance(loss, TSCLoss)
    assert (loss.num_classes, loss.feat_dim, loss.ignore_index) == (3, head.proj_channels, 255)
    assert (loss.loss_weight, loss.temperature, loss.target_weight) == (0.1, 0.07, 0.2)
    loss.statistics_consumer_attached = True
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01))
    hub = MessageHub.get_current_instance()
    hub.update_info('iter', head.contrast_warmup_iters)
    torch.manual_seed(0)
    try:
        for _ in range(2):
            log = model.train_step(_batch(), optim)
            assert log['decode_1.loss_tsc'] > 0 and 'decode_0.loss_ce' in log
            assert update_bdcl_loss(loss) == 'applied'
    finally:
        hub.update_info('iter', 0)
    assert loss.centroid_valid.all()
    torch.testing.assert_close(loss.centroids.norm(dim=1), torch.ones(3))
