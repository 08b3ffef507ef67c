"""Contrast scopes: 'global' on two gloo processes equals one process on the union batch (loss,
DDP-averaged gradients, BDCL state); 'image' contrasts each image's pixels only."""
import copy
import inspect

import pytest
import torch
import torch.distributed as torch_dist
from mmengine.logging import MessageHub
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

import bdcl_mm.seg  # noqa: F401
from bdcl_mm.engine.hooks import update_bdcl_loss
from bdcl_mm.models.losses import BDCLLoss
from bdcl_mm.seg.contrast_scope import rank_budget
from tests._shared.distributed import run_gloo

WORLD = 2
ITERS = 2


def head_cfg(scope, **extra):
    cfg = dict(
        type='BDCLDecodeHead', host_type='FCNHead', in_channels=6, channels=8, num_convs=1,
        concat_input=False, dropout_ratio=-1, num_classes=3, norm_cfg=None, align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', loss_weight=1.0), proj_channels=8,
        max_views=10_000, max_samples=None, scope=scope,
        loss_contrast=dict(type='BDCLLoss', loss_weight=0.1, tdl='descent', tdl_lr=1e-3))
    cfg.update(extra)
    return cfg


def images(count=WORLD, size=12):
    """Per image: backbone features (1, 6, 12, 12) and a label map at 24x24 (grid stride 2)."""
    gen = torch.Generator().manual_seed(0)
    out = []
    for i in range(count):
        feat = torch.randn(1, 6, size, size, generator=gen)
        label = torch.zeros(1, 2 * size, 2 * size, dtype=torch.long)
        label[:, 2:12 + 2 * i, 4:16] = 1
        label[:, 16:22, 14 + i:20 + i] = 2
        label[:, :, -2:] = 255
        sample = SegDataSample()
        sample.gt_sem_seg = PixelData(data=label)
        out.append((feat, sample))
    return out


def build(scope):
    torch.manual_seed(0)
    return MODELS.build(head_cfg(scope))


def run(head, batches, average_grads):
    """``ITERS`` steps: loss_bdcl, backward, (averaged) gradients, SGD step, BDCL update."""
    hub = MessageHub.get_current_instance()
    optimizer = torch.optim.SGD(head.parameters(), lr=0.5)
    record = []
    for it in range(ITERS):
        hub.update_info('iter', it)
        feats = torch.cat([f for f, _ in batches])
        samples = [copy.deepcopy(s) for _, s in batches]
        optimizer.zero_grad()
        loss = head.loss([feats], samples, None)['loss_bdcl']
        loss.backward()
        average_grads(head)
        grads = {k: p.grad.clone() for k, p in head.named_parameters() if p.grad is not None}
        optimizer.step()
        update_bdcl_loss(head.loss_contrast)
        state = {k: v.clone() for k, v in head.loss_contrast.state_dict().items()}
        record.append(dict(loss=loss.detach().clone(), grads=grads, state=state))
    hub.update_info('iter', 0)
    return record


def _ddp_average(head):
    for p in head.parameters():
        if p.grad is not None:
            torch_dist.all_reduce(p.grad)
            p.grad /= WORLD


def _worker(rank):
    head = build('global').train()
    head.loss_contrast.statistics_consumer_attached = True
    return run(head, [images()[rank]], _ddp_average)


def test_global_scope_on_two_ranks_equals_one_process_on_the_union():
    ranks = run_gloo(_worker, world_size=WORLD)
    single = build('global').train()
    single.loss_contrast.statistics_consumer_attached = True
    expected = run(single, images(), lambda head: None)
    for it, ref in enumerate(expected):
        assert ref['loss'] > 0
        for rank in ranks:
            torch.testing.assert_close(rank[it]['loss'], ref['loss'], rtol=1e-5, atol=1e-7)
            assert set(rank[it]['grads']) == set(ref['grads'])
            for key, grad in ref['grads'].items():
                torch.testing.assert_close(rank[it]['grads'][key], grad, rtol=1e-4, atol=1e-7)
            for key, value in ref['state'].items():
                torch.testing.assert_close(rank[it]['state'][key], value, rtol=1e-5, atol=1e-6)
    # the contrast term reached the projection and the head's own layers, and the state moved
    assert expected[0]['grads']['projector.1.weight'].abs().sum() > 0
    assert expected[0]['grads']['convs.0.conv.weight'].abs().sum() > 0
    assert expected[-1]['state']['prototype_valid'].all()
    assert not torch.equal(expected[-1]['state']['log_tau'], expected[0]['state']['log_tau'])


def test_global_budget_is_split_over_ranks_and_other_scopes_keep_it():
    assert rank_budget(1024, 'global') == 1024  # one process
    assert rank_budget(1024, 'batch') == 1024 and rank_budget(None, 'global') is None


@pytest.mark.skipif('groups' not in inspect.signature(BDCLLoss.forward).parameters,
                    reason='needs BDCLLoss.forward(..., groups=...)')
def test_image_scope_is_the_mean_of_per_image_contrasts():
    torch.manual_seed(0)
    head = MODELS.build(head_cfg('image', loss_contrast=dict(type='BDCLLoss', tdl='none')))
    loss = head.loss_contrast
    loss.prototypes.copy_(torch.nn.functional.normalize(torch.randn(3, 8), dim=1))
    loss.prototype_valid.fill_(True)  # every anchor has a positive: its class prototype
    feats = torch.cat([f for f, _ in images()])
    samples = [s for _, s in images()]
    torch.manual_seed(1)
    value = head.loss([feats], samples, None)['loss_bdcl']
    with torch.no_grad():
        logits = head.forward([feats])
        x = head.convs(feats)
    torch.manual_seed(1)
    drawn = head.sample(x, logits, samples)
    embedded = head.project(x, drawn.index)
    image = drawn.index // (x.shape[2] * x.shape[3])
    loss.eval()
    per_image = [loss(embedded[image == i], drawn.labels[image == i]) * (image == i).sum()
                 for i in range(WORLD)]
    torch.testing.assert_close(value, sum(per_image) / image.numel())
    assert not torch.allclose(value, loss(embedded, drawn.labels))
