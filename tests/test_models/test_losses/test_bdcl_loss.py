"""BDCLLoss: registry, validation, state handling, TDL directions and HEP updates."""
import math
import warnings

import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import MODELS

import bdcl_mm.registration  # noqa: F401  (registers BDCLLoss)
from bdcl_mm.models.losses import BDCLLoss, BDCLStatistics, bdcl_loss


def _build(**kwargs):
    cfg = dict(type='BDCLLoss', num_classes=3, feat_dim=3)
    cfg.update(kwargs)
    return MODELS.build(cfg)


def tight_and_overlapping_batch(noise=0.01, seed=0):
    """Class 0 is one tight cluster far from the rest. Classes 1 and 2 overlap: each class-1
    item sits on top of a class-2 item, while the two items of a class are orthogonal, so their
    nearest negative is closer than their positive."""
    g = torch.Generator().manual_seed(seed)
    e0, e1, e2 = torch.eye(3)
    centres = [e0] * 4 + [e1, e2] + [e1, e2]
    labels = torch.tensor([0, 0, 0, 0, 1, 1, 2, 2])
    features = torch.stack(centres) + noise * torch.randn(8, 3, generator=g)
    return features, labels


def _step(tdl, lr=1e-4, **kwargs):
    loss = _build(tdl=tdl, tdl_lr=lr, use_prototypes=False, **kwargs)
    loss.train()
    features, labels = tight_and_overlapping_batch()
    loss(features, labels)
    before = loss.temperatures.clone()
    loss.apply_statistics(loss.pop_statistics())
    return before, loss.temperatures


def test_builds_from_root_registry_and_has_buffers():
    loss = _build(tdl='descent', tau_init=0.2)
    assert isinstance(loss, BDCLLoss) and loss.loss_name == 'loss_bdcl'
    torch.testing.assert_close(loss.temperatures, torch.full((3, ), 0.2))
    state = loss.state_dict()
    assert set(state) == {'log_tau', 'margin_running_sum', 'margin_running_count', 'prototypes',
                          'prototype_valid'}
    assert state['prototypes'].shape == (3, 3) and state['prototype_valid'].dtype == torch.bool
    assert not list(loss.parameters())


def test_forward_matches_functional_with_weight_and_ignore():
    loss = _build(feat_dim=4, loss_weight=0.5, ignore_index=255)
    loss.eval()
    torch.manual_seed(0)
    features = torch.randn(10, 4)
    labels = torch.tensor([0, 1, 2, 255, 0, 1, 2, 255, 0, 1])
    keep = labels != 255
    expected = 0.5 * bdcl_loss(features[keep], labels[keep], torch.full((3, ), 0.1))
    torch.testing.assert_close(loss(features, labels), expected)


def test_all_ignored_gives_connected_zero():
    loss = _build(feat_dim=4)
    loss.train()
    features = torch.randn(5, 4, requires_grad=True)
    out = loss(features, torch.full((5, ), 255))
    assert out.item() == 0.0 and out.dtype == torch.float32
    out.backward()
    assert torch.equal(features.grad, torch.zeros(5, 4))


@pytest.mark.parametrize('kwargs,match', [
    (dict(tdl='sgd'), 'tdl must be one of'),
    (dict(tau_init=0.01), r'tau_init=0.01 must lie in \[tau_min, tau_max\]'),
    (dict(tau_init=2.0), 'tau_init'),
    (dict(tau_min=0.5, tau_max=0.1), 'tau_min <= tau_max'),
    (dict(tdl_lr=0.0), 'tdl_lr must be a positive'),
    (dict(tdl_lr=-1e-3), 'tdl_lr'),
    (dict(momentum=0.0), 'momentum'),
    (dict(margin_momentum=0.0), 'margin_momentum'),
    (dict(margin_momentum=1.5), 'margin_momentum'),
    (dict(momentum=1.5), 'momentum'),
    (dict(num_classes=0), 'num_classes'),
    (dict(feat_dim=2.5), 'feat_dim'),
    (dict(chunk_size=0), 'chunk_size'),
    (dict(loss_name='bdcl'), 'loss_name'),
])
def test_constructor_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        _build(**kwargs)


def test_forward_rejects_bad_inputs():
    loss = _build(num_classes=4, feat_dim=8)
    with pytest.raises(ValueError, match=r'C = num_classes = 4'):
        loss(torch.randn(3, 8), torch.tensor([0, 4, 1]))
    with pytest.raises(ValueError, match=r'\[0, C\)'):
        loss(torch.randn(3, 8), torch.tensor([0, -1, 1]))
    with pytest.raises(ValueError, match=r'feat_dim=8'):
        loss(torch.randn(3, 6), torch.tensor([0, 1, 1]))
    with pytest.raises(ValueError, match='preds'):
        loss(torch.randn(3, 8), torch.tensor([0, 1, 1]), torch.tensor([0, 1]))


def test_forward_never_moves_state_and_eval_collects_nothing():
    loss = _build(tdl='descent', tdl_lr=1.0)
    state = {k: v.clone() for k, v in loss.state_dict().items()}
    features, labels = tight_and_overlapping_batch()
    loss.eval()
    loss(features, labels, labels)
    assert loss.pop_statistics() is None
    loss.train()
    loss.statistics_consumer_attached = True
    for _ in range(3):
        loss(features, labels, (labels + 1) % 3)
    for key, value in loss.state_dict().items():
        assert torch.equal(value, state[key]), key
    stats = loss.pop_statistics()
    assert stats.feat_count.tolist() == [12.0, 6.0, 6.0]  # three forwards summed
    assert loss.pop_statistics() is None


def test_warns_once_when_statistics_are_not_consumed():
    loss = _build()
    loss.train()
    features, labels = tight_and_overlapping_batch()
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        loss(features, labels)  # first forward: nothing pending yet
    with pytest.warns(UserWarning, match="BDCLHook"):
        loss(features, labels)
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        loss(features, labels)  # only once
        consumed = _build()
        consumed.train()
        consumed.statistics_consumer_attached = True
        consumed(features, labels)
        consumed(features, labels)
        scl = _build(tdl='none', use_prototypes=False)
        scl.train()
        scl(features, labels)
        scl(features, labels)
        assert scl.pop_statistics() is None


def test_tdl_paper_cools_badly_aligned_classes_most():
    before, after = _step('paper')
    assert (after <= before).all()
    assert after[1] < after[0] - 0.005 and after[2] < after[0] - 0.005
    # The stated gradient is (1 - mean positive similarity) / tau^2, i.e. ~100 for classes 1, 2.
    assert after[1].item() == pytest.approx(0.1 - 1e-4 * 100, abs=1e-3)


def test_tdl_descent_lowers_tight_class_raises_overlapping_classes():
    before, after = _step('descent')
    assert after[0] < before[0]
    assert after[1] > before[1] and after[2] > before[2]


def test_tdl_ascent_is_the_opposite_of_descent():
    before, after = _step('ascent')
    assert after[0] > before[0]
    assert after[1] < before[1] and after[2] < before[2]


def test_tdl_none_keeps_temperatures_fixed():
    loss = _build(tdl='none', use_prototypes=True)
    loss.train()
    features, labels = tight_and_overlapping_batch()
    loss(features, labels, (labels + 1) % 3)
    loss.apply_statistics(loss.pop_statistics())
    torch.testing.assert_close(loss.temperatures, torch.full((3, ), 0.1))
    assert loss.prototype_valid.all()


@pytest.mark.parametrize('tdl', ['paper', 'descent', 'ascent'])
def test_huge_learning_rate_stays_inside_the_clamp(tdl):
    for _ in range(3):
        _, after = _step(tdl, lr=1e3)
        assert ((after >= 0.03 - 1e-7) & (after <= 1.0 + 1e-7)).all()
    assert {round(v, 5) for v in after.tolist()} <= {0.03, 1.0}


def test_update_temperatures_flag_and_class_without_anchors():
    loss = _build(tdl='paper', tdl_lr=1e-3)
    loss.train()
    features, labels = tight_and_overlapping_batch()
    keep = labels != 2
    loss(features[keep], labels[keep])
    stats = loss.pop_statistics()
    loss.apply_statistics(stats, update_temperatures=False)
    torch.testing.assert_close(loss.temperatures, torch.full((3, ), 0.1))
    loss.apply_statistics(stats, update_prototypes=False)
    assert loss.temperatures[2].item() == pytest.approx(0.1)  # class 2 absent: no step
    assert loss.temperatures[0] < 0.1
    with pytest.raises(ValueError, match='BDCLStatistics'):
        loss.apply_statistics({'tdl_grad_sum': stats.tdl_grad_sum})
    with pytest.raises(ValueError, match='feat_sum'):
        loss.apply_statistics(BDCLStatistics.zeros(3, 5))


def test_balance_steps_on_the_running_margins_and_checkpoints_them():
    """Two updates: the second reads the moving sums of both batches, not its own margins."""
    from bdcl_mm.models.losses import running_margin_update, tdl_update
    loss = _build(tdl='balance', tdl_lr=0.1, margin_momentum=0.5, use_prototypes=False)
    loss.train()
    labels = torch.arange(12) % 3
    batches = [(torch.randn(12, 3, generator=torch.Generator().manual_seed(s)) + 2 * torch.eye(3)[
        labels], labels) for s in (0, 1)]
    taus, running = torch.full((3, ), 0.1), (torch.zeros(3), torch.zeros(3))
    for features, labels in batches:
        loss(features, labels)
        stats = loss.pop_statistics()
        running = running_margin_update(*running, stats.margin_sum, stats.margin_count, 0.5)
        expected = BDCLStatistics.zeros(3, 3)
        expected.margin_sum, expected.margin_count = running
        taus = tdl_update(taus, expected, 'balance', 0.1, 0.03, 1.0, 0.1)
        own = tdl_update(loss.temperatures, stats, 'balance', 0.1, 0.03, 1.0, 0.1)
        assert loss.apply_statistics(stats)
    assert not torch.allclose(own, taus)  # the batch's own margins would step elsewhere
    torch.testing.assert_close(loss.temperatures, taus)
    torch.testing.assert_close(loss.margin_running_sum, running[0])
    torch.testing.assert_close(loss.margin_running_count, running[1])
    restored = _build(tdl='balance', tdl_lr=0.1, margin_momentum=0.5, use_prototypes=False)
    restored.load_state_dict(loss.state_dict())
    torch.testing.assert_close(restored.margin_running_sum, running[0])


def test_loads_a_state_dict_without_the_running_margins():
    loss = _build(tdl='balance')
    old = {k: v for k, v in loss.state_dict().items() if not k.startswith('margin_running')}
    old['log_tau'] = torch.log(torch.tensor([0.05, 0.1, 0.2]))
    restored = _build(tdl='balance')
    restored.load_state_dict(old)  # strict
    torch.testing.assert_close(restored.temperatures, torch.tensor([0.05, 0.1, 0.2]))
    assert not restored.margin_running_count.any()


def test_hep_first_appearance_then_only_hard_examples_move():
    torch.manual_seed(0)
    loss = _build(num_classes=3, feat_dim=4, tdl='none', momentum=0.1)
    loss.train()
    features = torch.randn(6, 4)
    labels = torch.tensor([0, 0, 0, 1, 1, 1])
    loss(features, labels, labels)  # class 2 absent; no hard example at all
    loss.apply_statistics(loss.pop_statistics())
    z = F.normalize(features, dim=1)
    assert loss.prototype_valid.tolist() == [True, True, False]
    torch.testing.assert_close(loss.prototypes[0], F.normalize(z[:3].mean(0), dim=0))
    torch.testing.assert_close(loss.prototypes[1], F.normalize(z[3:].mean(0), dim=0))
    assert torch.equal(loss.prototypes[2], torch.zeros(4))
    first = loss.prototypes.clone()

    features2 = torch.randn(8, 4)
    labels2 = torch.tensor([0, 0, 1, 1, 1, 2, 2, 2])
    preds2 = torch.tensor([0, 0, 0, 2, 1, 2, 2, 2])  # only items 2 and 3 (class 1) are hard
    loss(features2, labels2, preds2)
    loss.apply_statistics(loss.pop_statistics())
    z2 = F.normalize(features2, dim=1)
    torch.testing.assert_close(loss.prototypes[0], first[0])  # easy only: unchanged
    expected1 = F.normalize(0.9 * first[1] + 0.1 * z2[2:4].mean(0), dim=0)
    torch.testing.assert_close(loss.prototypes[1], expected1)
    torch.testing.assert_close(loss.prototypes[2], F.normalize(z2[5:].mean(0), dim=0))
    assert loss.prototype_valid.all()
    torch.testing.assert_close(loss.prototypes.norm(dim=1), torch.ones(3))

    # The valid prototypes now enter the loss: it differs from plain SupCon on the same batch.
    loss.eval()
    with_protos = loss(features2, labels2)
    without = bdcl_loss(features2, labels2, loss.temperatures)
    assert abs(with_protos.item() - without.item()) > 1e-4


def test_use_prototypes_false_never_touches_them():
    loss = _build(feat_dim=3, use_prototypes=False, tdl='paper')
    loss.train()
    features, labels = tight_and_overlapping_batch()
    loss(features, labels, (labels + 1) % 3)
    stats = loss.pop_statistics()
    assert not stats.feat_count.any() and not stats.hard_sum.any()
    loss.apply_statistics(stats)
    assert torch.equal(loss.prototypes, torch.zeros(3, 3))
    assert not loss.prototype_valid.any()
    loss.eval()
    torch.testing.assert_close(
        loss(features, labels), bdcl_loss(features, labels, loss.temperatures))


@pytest.mark.parametrize(
    'cfg',
    [
        dict(tdl='none', use_prototypes=False),  # SCL
        dict(tdl='none'),  # w/o TDL
        dict(use_prototypes=False),  # w/o HEP
        dict(),  # BDCL
        dict(tdl='descent', chunk_size=3),
        dict(tdl='ascent', chunk_size=5),
        dict(tdl='balance', chunk_size=4),
    ])
def test_ablation_configs_train(cfg):
    torch.manual_seed(0)
    loss = _build(feat_dim=6, tdl_lr=1e-1 if cfg.get('tdl', 'balance') == 'balance' else 1e-3, **cfg)
    loss.train()
    loss.statistics_consumer_attached = True
    encoder = torch.nn.Linear(5, 6)
    for _ in range(2):
        x = torch.randn(12, 5)
        labels = torch.randint(0, 3, (12, ))
        out = loss(encoder(x), labels, torch.randint(0, 3, (12, )))
        assert math.isfinite(out.item())
        out.backward()
        stats = loss.pop_statistics()
        if stats is not None:
            loss.apply_statistics(stats)
    assert torch.isfinite(encoder.weight.grad).all()
    moved = not torch.allclose(loss.temperatures, torch.full((3, ), 0.1))
    assert moved == (loss.tdl != 'none')
    assert bool(loss.prototype_valid.any()) == loss.use_prototypes
