"""TSCLoss: the registered module, its buffers and its statistics protocol."""
import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import MODELS

import bdcl_mm.registration  # noqa: F401  (registers TSCLoss)
from bdcl_mm.models.losses import (StatisticsLoss, TSCLoss, TSCStatistics, generate_targets,
                                   hungarian_assignment, tsc_loss)

BUFFERS = ('targets', 'centroids', 'centroid_valid', 'assignment')


def _loss(**kwargs):
    return MODELS.build(dict(type='TSCLoss', num_classes=3, feat_dim=4, **kwargs))


def test_built_through_the_registry_with_its_state_as_buffers():
    loss = _loss()
    assert isinstance(loss, TSCLoss) and isinstance(loss, StatisticsLoss)
    assert (loss.temperature, loss.target_weight, loss.momentum) == (0.07, 0.2, 0.1)
    assert set(BUFFERS) <= set(loss.state_dict())
    assert torch.equal(loss.targets, generate_targets(3, 4))
    assert loss.assignment.tolist() == [0, 1, 2] and not loss.centroid_valid.any()
    assert loss.loss_name == 'loss_tsc'


def test_forward_is_the_functional_loss_with_ignored_items_dropped():
    loss = _loss(loss_weight=0.5).eval()
    g = torch.Generator().manual_seed(0)
    features = torch.randn(9, 4, generator=g)
    labels = torch.tensor([0, 1, 2, 255, 0, 1, 2, 1, 255])
    keep = labels != 255
    want = tsc_loss(features[keep], labels[keep], loss.targets, loss.assignment)
    torch.testing.assert_close(loss(features, labels), 0.5 * want)
    assert loss.pop_statistics() is None  # eval mode collects nothing


def test_training_forwards_accumulate_and_apply_moves_centroids_and_assignment():
    loss = _loss().train()
    loss.statistics_consumer_attached = True
    g = torch.Generator().manual_seed(1)
    features = torch.randn(8, 4, generator=g)
    labels = torch.tensor([0, 0, 1, 1, 2, 2, 0, 1])
    loss(features, labels)
    loss(features[:3], labels[:3])
    stats = loss.pop_statistics()
    assert stats.feat_count.tolist() == [5.0, 4.0, 2.0]
    assert loss.pop_statistics() is None
    assert loss.apply_statistics(stats)
    z = F.normalize(features, dim=1)
    first = F.normalize(torch.cat([z, z[:3]])[torch.cat([labels, labels[:3]]) == 0].mean(0), dim=0)
    torch.testing.assert_close(loss.centroids[0], first)
    assert loss.centroid_valid.all()
    assert torch.equal(loss.assignment, hungarian_assignment(loss.centroids, loss.targets))


def test_non_finite_statistics_are_refused_and_leave_the_state():
    loss = _loss().train()
    features = torch.randn(4, 4)
    features[1, 0] = float('inf')
    value = loss(features, torch.tensor([0, 1, 2, 0]))
    assert torch.isfinite(value)
    before = {k: v.clone() for k, v in loss.state_dict().items()}
    assert not loss.apply_statistics(loss.pop_statistics())
    for key, value in loss.state_dict().items():
        assert torch.equal(value, before[key])


def test_misuse_errors_say_what_to_do():
    with pytest.raises(ValueError, match=r'num_classes - 1 = 4.*proj_channels'):
        MODELS.build(dict(type='TSCLoss', num_classes=5, feat_dim=3))
    loss = _loss()
    with pytest.raises(TypeError, match="loss_contrast=dict\\(type='TSCLoss'\\)"):
        loss(torch.randn(2, 3, 4, 4), torch.zeros(2, 4, 4, dtype=torch.long), weight=None,
             ignore_index=255)
    with pytest.raises(ValueError, match='feat_dim=4'):
        loss(torch.randn(2, 5), torch.zeros(2, dtype=torch.long))
    with pytest.raises(ValueError, match='TSCStatistics'):
        loss.apply_statistics(object())
    with pytest.raises(ValueError, match='expected \\(3, 4\\)'):
        loss.apply_statistics(TSCStatistics.zeros(3, 5))


def test_unconsumed_statistics_warn_once():
    loss = _loss().train()
    batch = (torch.randn(3, 4), torch.tensor([0, 1, 2]))
    loss(*batch)
    with pytest.warns(UserWarning, match='BDCLHook'):
        loss(*batch)
