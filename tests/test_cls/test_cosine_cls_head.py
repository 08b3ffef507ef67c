"""CosineClsHead with LDAM / GCL: cosine logits, soft (mixup) targets, no noise at predict."""
from types import SimpleNamespace

import pytest
import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import bdcl_mm.cls  # noqa: F401
from bdcl_mm.engine.hooks import ClassCountsHook
from bdcl_mm.models.losses import GCLLoss


def _head(loss):
    return MODELS.build(dict(type='CosineClsHead', num_classes=4, in_channels=16, loss=loss))


def _samples(labels, soft=None):
    out = []
    for i, y in enumerate(labels):
        s = DataSample().set_gt_label(y)
        if soft is not None:
            s.set_gt_score(soft[i])
        out.append(s)
    return out


def test_cosine_logits_and_ldam_loss():
    head = _head(dict(type='LDAMLoss'))
    assert head.loss_module.num_classes == 4 and head.fc.bias is None
    feats = (torch.randn(6, 16), )
    logits = head(feats)
    w = head.fc.weight
    torch.testing.assert_close(logits, F.normalize(feats[0]) @ F.normalize(w).t())
    head.loss_module.set_class_counts([400, 100, 20, 5])
    losses = head.loss(feats, _samples([0, 1, 2, 3, 3, 0]))
    assert torch.isfinite(losses['loss']) and losses['loss'] > 0


def test_gcl_noise_is_in_the_loss_only_and_soft_targets_train():
    head = _head(dict(type='GCLLoss', m=0.0, s=30.0, noise_mul=0.5))
    head.loss_module.set_class_counts([400, 100, 20, 5])
    feats = (torch.randn(4, 16), )
    soft = F.one_hot(torch.tensor([0, 1, 2, 3]), 4).float() * 0.7 + F.one_hot(
        torch.tensor([3, 2, 1, 0]), 4).float() * 0.3
    samples = _samples([0, 1, 2, 3], soft)
    torch.manual_seed(0)
    first = head.loss(feats, samples)['loss']
    second = head.loss(feats, samples)['loss']
    assert first.item() != second.item()  # a fresh cloud per call
    assert isinstance(head.loss_module, GCLLoss)
    preds = [head.predict(feats) for _ in range(2)]
    torch.testing.assert_close(preds[0][0].pred_score, preds[1][0].pred_score)
    torch.testing.assert_close(torch.stack([p.pred_score for p in preds[0]]),
                               F.softmax(head(feats), dim=1))


def test_ldam_on_a_linear_head_is_refused_before_training():
    head = MODELS.build(dict(type='LinearClsHead', num_classes=4, in_channels=16,
                             loss=dict(type='LDAMLoss')))
    with pytest.raises(ValueError, match="needs cosine logits: use type='CosineClsHead'"):
        ClassCountsHook().before_train(SimpleNamespace(model=head))


def test_classifier_starts_with_unit_norm_random_rows():
    head = _head(dict(type='LDAMLoss'))
    head.init_weights()  # as the Runner does before training
    w = head.fc.weight
    torch.testing.assert_close(w.norm(dim=1), torch.ones(4))
    cosines = F.normalize(w) @ F.normalize(w).t()
    assert (cosines - torch.eye(4)).abs().max() < 0.9  # distinct random directions
