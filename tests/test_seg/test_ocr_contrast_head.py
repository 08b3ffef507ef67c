"""BDCLOCRHead: registry build, loss keys, OCRHead-identical predictions, warm-up, hard pixels."""
import copy

import pytest
import torch
from mmengine.config import ConfigDict
from mmengine.logging import MessageHub
from mmengine.model import revert_sync_batchnorm
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

import bdcl_mm.seg  # noqa: F401
from bdcl_mm.seg import BDCLOCRHead, labels_to_grid
from tests._shared.tiny_configs import (TINY_HRNET_CHANNELS, tiny_fcn_head, tiny_hrnet_extra,
                                        tiny_ocr_head)

CHANNELS = TINY_HRNET_CHANNELS
NORM = dict(type='SyncBN', requires_grad=True)


def head_cfg(head_type='BDCLOCRHead', **extra):
    cfg = tiny_ocr_head(3, NORM, head_type)
    if head_type == 'BDCLOCRHead':
        cfg.update(max_views=16, max_samples=64, proj_channels=24)
    cfg.update(extra)
    return cfg


def model_cfg(head):
    """The tiny HRNet + [FCNHead, head] cascade."""
    return dict(
        _scope_='mmseg',
        type='CascadeEncoderDecoder',
        num_stages=2,
        data_preprocessor=dict(
            type='SegDataPreProcessor',
            mean=[123.675, 116.28, 103.53],
            std=[58.395, 57.12, 57.375],
            bgr_to_rgb=True,
            pad_val=0,
            seg_pad_val=255,
            size=(64, 64)),
        pretrained=None,
        backbone=dict(type='HRNet', norm_cfg=NORM, extra=tiny_hrnet_extra(complete=True)),
        decode_head=[tiny_fcn_head(3, NORM), head],
        train_cfg=dict(),
        test_cfg=ConfigDict(mode='whole'))


def make_batch(batch=2, size=64, seed=0):
    gen = torch.Generator().manual_seed(seed)
    inputs, samples = [], []
    for b in range(batch):
        inputs.append(torch.randint(0, 256, (3, size, size), generator=gen, dtype=torch.uint8))
        label = torch.zeros(1, size, size, dtype=torch.long)
        label[:, 8:32, 8:40] = 1
        label[:, 44:49, 50:55] = 2
        label[:, -4:, :] = 255
        sample = SegDataSample(metainfo=dict(
            img_shape=(size, size), ori_shape=(size, size), pad_shape=(size, size)))
        sample.gt_sem_seg = PixelData(data=label)
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def head_inputs(batch=2, seed=0):
    gen = torch.Generator().manual_seed(seed)
    feats = [torch.randn(batch, c, 16 >> i, 16 >> i, generator=gen) for i, c in enumerate(CHANNELS)]
    prev = torch.randn(batch, 3, 16, 16, generator=gen)
    return feats, prev, make_batch(batch)['data_samples']


@pytest.fixture(autouse=True)
def fresh_iteration():
    hub = MessageHub.get_current_instance()
    hub.update_info('iter', 0)
    yield
    hub.update_info('iter', 0)


def test_model_builds_from_config_and_loss_has_host_and_bdcl_keys():
    torch.manual_seed(0)
    model = revert_sync_batchnorm(MODELS.build(model_cfg(head_cfg())))
    head = model.decode_head[1]
    assert isinstance(head, BDCLOCRHead)
    assert head.loss_contrast.num_classes == 3 and head.loss_contrast.feat_dim == 24
    assert head.loss_contrast.loss_weight == pytest.approx(0.1)
    assert head.projector[0].conv.in_channels == sum(CHANNELS)
    data = model.data_preprocessor(make_batch(), True)
    losses = model.loss(data['inputs'], data['data_samples'])
    assert {'decode_0.loss_ce', 'decode_1.loss_ce', 'decode_1.loss_bdcl'} <= set(losses)
    assert losses['decode_1.loss_bdcl'] > 0
    total = sum(v for k, v in losses.items() if 'loss' in k)
    total.backward()
    assert head.projector[0].conv.weight.grad.abs().sum() > 0
    assert model.backbone.conv1.weight.grad.abs().sum() > 0


def test_predictions_identical_to_ocr_head_with_same_weights():
    torch.manual_seed(0)
    ce_model = revert_sync_batchnorm(MODELS.build(model_cfg(head_cfg('OCRHead'))))
    bdcl_model = revert_sync_batchnorm(MODELS.build(model_cfg(head_cfg())))
    missing, unexpected = bdcl_model.load_state_dict(ce_model.state_dict(), strict=False)
    assert unexpected == []
    assert missing and all(
        k.startswith('decode_head.1.projector.') or k.startswith('decode_head.1.loss_contrast.')
        for k in missing)
    assert {'decode_head.1.loss_contrast.log_tau', 'decode_head.1.loss_contrast.prototypes',
            'decode_head.1.loss_contrast.prototype_valid'} <= set(missing)
    ce_model.eval()
    bdcl_model.eval()
    batch = make_batch(seed=1)
    with torch.no_grad():
        ce_out = ce_model.test_step(copy.deepcopy(batch))
        bdcl_out = bdcl_model.test_step(copy.deepcopy(batch))
    for a, b in zip(ce_out, bdcl_out):
        assert torch.equal(a.seg_logits.data, b.seg_logits.data)
        assert torch.equal(a.pred_sem_seg.data, b.pred_sem_seg.data)


def test_loss_path_transforms_inputs_once_and_matches_forward_logits():
    torch.manual_seed(0)
    head = revert_sync_batchnorm(MODELS.build(head_cfg())).eval()
    feats, prev, samples = head_inputs()
    calls = []
    original = head._transform_inputs

    def counting(inputs):
        calls.append(1)
        return original(inputs)

    head._transform_inputs = counting
    seen = {}
    original_by_feat = head.loss_by_feat

    def capture(seg_logits, batch_data_samples):
        seen['logits'] = seg_logits.detach()
        return original_by_feat(seg_logits, batch_data_samples)

    head.loss_by_feat = capture
    head.loss(feats, prev, samples, None)
    assert len(calls) == 1
    with torch.no_grad():
        assert torch.equal(seen['logits'], head.forward(feats, prev))


def test_warmup_gives_connected_zero_then_the_contrast_term():
    torch.manual_seed(0)
    head = revert_sync_batchnorm(MODELS.build(head_cfg(contrast_warmup_iters=5)))
    feats, prev, samples = head_inputs()
    hub = MessageHub.get_current_instance()
    hub.update_info('iter', 4)
    loss = head.loss(feats, prev, samples, None)['loss_bdcl']
    assert loss.item() == 0.0
    loss.backward()
    assert all(p.grad is not None and p.grad.abs().sum() == 0 for p in head.projector.parameters())
    assert head.loss_contrast.pop_statistics() is None  # no update statistics during warm-up
    hub.update_info('iter', 5)
    loss = head.loss(feats, prev, samples, None)['loss_bdcl']
    assert loss.item() > 0
    assert head.loss_contrast.pop_statistics() is not None


def test_hard_pixels_reach_the_loss_as_predictions():
    torch.manual_seed(0)
    head = revert_sync_batchnorm(MODELS.build(head_cfg()))
    feats, prev, samples = head_inputs()
    x = head._transform_inputs(feats)
    with torch.no_grad():
        logits = head.forward(feats, prev)
    torch.manual_seed(123)
    drawn = head.sample(x, logits, samples)
    # the drawn labels are each grid cell's majority label, predictions the head's argmax
    grid = labels_to_grid(torch.stack([s.gt_sem_seg.data for s in samples]), x.shape[2:],
                          3).reshape(-1)
    assert torch.equal(drawn.labels, grid[drawn.index])
    assert torch.equal(drawn.preds, logits.argmax(1).reshape(-1)[drawn.index])
    assert (drawn.labels != 255).all() and (drawn.labels == 2).any()  # the 5x5 nodule survives
    hard = drawn.preds != drawn.labels
    assert hard.any()
    head.loss_contrast.pop_statistics()
    torch.manual_seed(123)
    head.loss(feats, prev, samples, None)
    stats = head.loss_contrast.pop_statistics()
    expected = torch.bincount(drawn.labels[hard], minlength=3).float()
    assert torch.equal(stats.hard_count.float(), expected)


def test_no_valid_pixel_gives_connected_zero():
    torch.manual_seed(0)
    head = revert_sync_batchnorm(MODELS.build(head_cfg()))
    feats, prev, samples = head_inputs()
    for sample in samples:
        sample.gt_sem_seg.data[:] = 255
    loss = head.loss(feats, prev, samples, None)['loss_bdcl']
    assert loss.item() == 0.0
    loss.backward()
    assert head.projector[1].weight.grad is not None


@pytest.mark.parametrize('loss_contrast,match', [
    (dict(type='BDCLLoss', num_classes=4), r'num_classes=4 disagrees .* num_classes=3'),
    (dict(type='BDCLLoss', feat_dim=128), r'feat_dim=128 disagrees .* proj_channels=24'),
    (dict(loss_weight=0.1), "'type'"),
])
def test_mismatched_loss_settings_are_clear_errors(loss_contrast, match):
    with pytest.raises(ValueError, match=match):
        MODELS.build(head_cfg(loss_contrast=loss_contrast))


def test_bad_head_arguments():
    with pytest.raises(ValueError, match='max_views'):
        MODELS.build(head_cfg(max_views=0))
    with pytest.raises(ValueError, match='contrast_warmup_iters'):
        MODELS.build(head_cfg(contrast_warmup_iters=-1))
