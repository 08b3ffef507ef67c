"""The BDCL functional core against loop references written straight from the equations of
docs/method.md."""
import math

import pytest
import torch
import torch.nn.functional as F

from bdcl_mm.models.losses.functional import (bdcl_loss, bdcl_loss_terms, bdcl_statistics,
                                              hep_update, tdl_anchor_gradient, tdl_update)
from bdcl_mm.models.losses.statistics import BDCLStatistics


def _rows(x):
    return [[float(v) for v in row] for row in x]


def _dot(a, b):
    return sum(x * y for x, y in zip(a, b))


def _normalise(rows):
    out = []
    for row in rows:
        norm = math.sqrt(_dot(row, row))
        out.append([v / norm for v in row])
    return out


def reference_anchor_losses(features, labels, temperatures, prototypes=None, mask=None):
    """Double loop over anchors and items of the BDCL formula; returns {anchor: L(i)}."""
    z = _normalise(_rows(features))
    y = [int(v) for v in labels]
    tau = [float(v) for v in temperatures]
    protos = None if prototypes is None else _rows(prototypes)
    valid = [True] * len(tau) if mask is None else [bool(v) for v in mask]
    losses = {}
    for i in range(len(z)):
        t = tau[y[i]]
        denominator = 0.0
        for a in range(len(z)):
            if a != i:
                denominator += math.exp(_dot(z[i], z[a]) / t)
        positives = [_dot(z[i], z[p]) for p in range(len(z)) if p != i and y[p] == y[i]]
        if protos is not None:
            for k in range(len(tau)):
                if valid[k]:
                    denominator += math.exp(_dot(z[i], protos[k]) / t)
            if valid[y[i]]:
                positives.append(_dot(z[i], protos[y[i]]))
        if not positives:
            continue
        terms = [math.log(math.exp(s / t) / denominator) for s in positives]
        losses[i] = -sum(terms) / len(terms)
    return losses


def reference_bdcl(*args, **kwargs):
    losses = reference_anchor_losses(*args, **kwargs)
    return sum(losses.values()) / len(losses) if losses else 0.0


def reference_supcon(features, labels, tau):
    """SupCon (Khosla et al. 2020) in its masked-matrix form, float64, no tau/base_tau factor."""
    z = F.normalize(features.double(), dim=1)
    logits = z @ z.t() / tau
    not_self = ~torch.eye(len(labels), dtype=torch.bool)
    positive = (labels[:, None] == labels[None, :]) & not_self
    log_prob = logits - torch.log((logits.exp() * not_self).sum(1, keepdim=True))
    n_pos = positive.sum(1)
    per_anchor = -(log_prob * positive).sum(1) / n_pos.clamp(min=1)
    return per_anchor[n_pos > 0].mean().item()


def _batch(seed, n, c, d, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    features = torch.randn(n, d, generator=g, dtype=dtype)
    labels = torch.randint(0, c, (n, ), generator=g)
    temperatures = (0.05 + 0.5 * torch.rand(c, generator=g)).to(dtype)
    prototypes = F.normalize(torch.randn(c, d, generator=g, dtype=dtype), dim=1)
    mask = torch.rand(c, generator=g) > 0.4
    return features, labels, temperatures, prototypes, mask


CASES = [(0, 6, 2, 3), (1, 17, 3, 5), (2, 33, 5, 8), (3, 40, 7, 4)]


@pytest.mark.parametrize('seed,n,c,d', CASES)
@pytest.mark.parametrize('chunk_size', [None, 5])
def test_matches_loop_reference(seed, n, c, d, chunk_size):
    features, labels, temperatures, prototypes, mask = _batch(seed, n, c, d)
    no_proto = bdcl_loss(features, labels, temperatures, chunk_size=chunk_size)
    assert no_proto.item() == pytest.approx(
        reference_bdcl(features, labels, temperatures), abs=1e-6)
    all_valid = bdcl_loss(features, labels, temperatures, prototypes, chunk_size=chunk_size)
    assert all_valid.item() == pytest.approx(
        reference_bdcl(features, labels, temperatures, prototypes), abs=1e-6)
    masked = bdcl_loss(features, labels, temperatures, prototypes, mask, chunk_size=chunk_size)
    assert masked.item() == pytest.approx(
        reference_bdcl(features, labels, temperatures, prototypes, mask), abs=1e-6)
    assert masked.dtype == torch.float64  # float64 stays float64; low precision -> float32


@pytest.mark.parametrize('seed,n,c,d', CASES)
def test_equal_temperatures_without_prototypes_is_supcon(seed, n, c, d):
    features, labels, _, _, _ = _batch(seed, n, c, d)
    loss = bdcl_loss(features, labels, torch.full((c, ), 0.2))
    assert loss.item() == pytest.approx(reference_supcon(features, labels, 0.2), abs=1e-6)
    # Per-class temperatures matter: the result moves when one class's temperature does.
    other = bdcl_loss(features, labels, torch.tensor([0.05] + [0.2] * (c - 1)))
    assert abs(other.item() - loss.item()) > 1e-3


@pytest.mark.parametrize('use_protos', [False, True])
def test_chunked_equals_unchunked_values_and_gradients(use_protos):
    features, labels, temperatures, prototypes, mask = _batch(7, 45, 4, 16, torch.float32)
    kwargs = dict(prototypes=prototypes, prototype_mask=mask) if use_protos else {}
    results = []
    for chunk in (None, 1, 7, 64):
        f = features.clone().requires_grad_(True)
        t = temperatures.clone().requires_grad_(True)
        loss = bdcl_loss(f, labels, t, chunk_size=chunk, **kwargs)
        loss.backward()
        results.append((loss.detach(), f.grad, t.grad))
    for loss, grad_f, grad_t in results[1:]:
        torch.testing.assert_close(loss, results[0][0], rtol=1e-6, atol=1e-6)
        torch.testing.assert_close(grad_f, results[0][1], rtol=1e-5, atol=1e-7)
        torch.testing.assert_close(grad_t, results[0][2], rtol=1e-5, atol=1e-6)
    assert results[0][1].abs().sum() > 0


@pytest.mark.parametrize('chunk_size', [None, 4])
def test_gradients_reach_features_not_prototypes(chunk_size):
    features, labels, temperatures, prototypes, _ = _batch(3, 20, 3, 6, torch.float32)
    features.requires_grad_(True)
    prototypes.requires_grad_(True)
    bdcl_loss(features, labels, temperatures, prototypes, chunk_size=chunk_size).backward()
    assert features.grad is not None and features.grad.abs().sum() > 0
    assert prototypes.grad is None


def test_gradient_matches_finite_differences_of_reference():
    features, labels, temperatures, prototypes, mask = _batch(11, 12, 3, 4)
    features.requires_grad_(True)
    bdcl_loss(features, labels, temperatures, prototypes, mask, chunk_size=5).backward()
    h = 1e-5
    for row, col in [(0, 0), (5, 2), (11, 3)]:
        plus, minus = features.detach().clone(), features.detach().clone()
        plus[row, col] += h
        minus[row, col] -= h
        numeric = (reference_bdcl(plus, labels, temperatures, prototypes, mask) -
                   reference_bdcl(minus, labels, temperatures, prototypes, mask)) / (2 * h)
        assert features.grad[row, col].item() == pytest.approx(numeric, abs=1e-5)


def _backward_ok(loss, features):
    assert loss.dtype == torch.float32 and torch.isfinite(loss)
    loss.backward()
    assert features.grad is not None and torch.isfinite(features.grad).all()


@pytest.mark.parametrize('chunk_size', [None, 3])
@pytest.mark.parametrize(
    'labels,use_protos,expect_zero',
    [
        ([0] * 8, False, False),  # one class only
        ([0] * 8, True, False),
        ([0, 0, 0, 1, 2, 2, 2, 2], False, False),  # class 1 has a single sample (dropped)
        ([0, 0, 0, 1, 2, 2, 2, 2], True, False),  # ... kept through its prototype
        ([0, 1, 2, 3, 4, 5, 6, 7], False, True),  # no positive anywhere
        ([3], True, False),  # one item, its prototype is the positive
    ])
def test_edge_cases_backpropagate(labels, use_protos, expect_zero, chunk_size):
    torch.manual_seed(0)
    features = torch.randn(len(labels), 5, requires_grad=True)
    labels = torch.tensor(labels)
    protos = F.normalize(torch.randn(8, 5), dim=1) if use_protos else None
    loss = bdcl_loss(features, labels, torch.full((8, ), 0.1), protos, chunk_size=chunk_size)
    if expect_zero:
        assert loss.item() == 0.0 and loss.requires_grad
    else:
        expected = reference_bdcl(features.detach().double(), labels, [0.1] * 8,
                                  None if protos is None else protos.double())
        assert loss.item() == pytest.approx(expected, rel=1e-5)
    _backward_ok(loss, features)


def test_single_sample_class_is_dropped_without_prototypes():
    features, _, temperatures, _, _ = _batch(5, 8, 3, 4)
    labels = torch.tensor([0, 0, 0, 1, 2, 2, 2, 2])
    terms = bdcl_loss_terms(features, labels, temperatures)
    assert 3 not in terms.anchor_index.tolist() and len(terms.anchor_index) == 7


def test_empty_batch_is_connected_zero():
    features = torch.randn(0, 4, requires_grad=True)
    loss = bdcl_loss(features, torch.zeros(0, dtype=torch.long), torch.full((3, ), 0.1))
    assert loss.item() == 0.0 and loss.requires_grad
    _backward_ok(loss, features)


@pytest.mark.parametrize('tau', [0.03, 1.0])
@pytest.mark.parametrize('chunk_size', [None, 4])
def test_temperatures_at_the_clamp(tau, chunk_size):
    torch.manual_seed(1)
    # Near-duplicate features make exp(s/tau) as large as it gets (s ~ 1, tau = 0.03).
    base = torch.randn(3, 16)
    features = (base.repeat_interleave(4, 0) + 1e-3 * torch.randn(12, 16)).requires_grad_(True)
    labels = torch.tensor([0, 1, 2, 0] * 3)
    protos = F.normalize(base, dim=1)
    loss = bdcl_loss(features, labels, torch.full((3, ), tau), protos, chunk_size=chunk_size)
    expected = reference_bdcl(features.detach().double(), labels, [tau] * 3, protos.double())
    assert loss.item() == pytest.approx(expected, rel=1e-4)
    _backward_ok(loss, features)


@pytest.mark.parametrize('chunk_size', [None, 4])
def test_low_precision_inputs_compute_in_float32(chunk_size):
    torch.manual_seed(2)
    labels = torch.randint(0, 3, (16, ))
    taus = torch.tensor([0.05, 0.1, 0.2])
    protos = F.normalize(torch.randn(3, 8), dim=1)
    layer = torch.nn.Linear(8, 8)
    x = torch.randn(16, 8)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        features = layer(x)
        assert features.dtype == torch.bfloat16
        loss = bdcl_loss(features, labels, taus, protos, chunk_size=chunk_size)
    assert loss.dtype == torch.float32 and torch.isfinite(loss)
    loss.backward()
    assert torch.isfinite(layer.weight.grad).all() and layer.weight.grad.abs().sum() > 0
    expected = reference_bdcl(features.detach().double(), labels, taus, protos.double())
    assert loss.item() == pytest.approx(expected, rel=1e-5)

    half = torch.randn(16, 8).half().requires_grad_(True)
    loss = bdcl_loss(half, labels, taus.half(), protos.half(), chunk_size=chunk_size)
    assert loss.dtype == torch.float32
    _backward_ok(loss, half)
    assert half.grad.dtype == torch.float16


@pytest.mark.parametrize('use_protos', [False, True])
@pytest.mark.parametrize('chunk_size', [None, 6])
def test_descent_gradient_equals_autograd_of_per_class_mean(use_protos, chunk_size):
    features, labels, temperatures, prototypes, mask = _batch(13, 30, 4, 6, torch.float32)
    protos = (prototypes, mask) if use_protos else (None, None)
    taus = temperatures.clone().requires_grad_(True)
    terms = bdcl_loss_terms(
        features, labels, taus, *protos, chunk_size=chunk_size, expected_similarity=True)
    anchor_labels = labels[terms.anchor_index]
    per_class_means = [
        terms.anchor_loss[anchor_labels == c].mean() for c in range(4)
        if (anchor_labels == c).any()
    ]
    (autograd_tau, ) = torch.autograd.grad(sum(per_class_means), taus)

    stats = bdcl_statistics(terms, labels, None, 4, 'descent', use_prototypes=False)
    analytic = stats.tdl_grad_sum / stats.anchor_count.clamp(min=1)
    torch.testing.assert_close(analytic, autograd_tau, rtol=1e-4, atol=1e-4)
    assert autograd_tau.abs().min() > 1e-3  # every class has anchors and a non-trivial gradient

    # ... and both equal central finite differences of the float64 loop reference.
    h = 1e-6
    for c in range(4):
        up, down = temperatures.double().clone(), temperatures.double().clone()
        up[c] += h
        down[c] -= h
        ref_up = reference_anchor_losses(features, labels, up, *protos)
        ref_down = reference_anchor_losses(features, labels, down, *protos)
        members = [i for i in ref_up if int(labels[i]) == c]
        numeric = sum(ref_up[i] - ref_down[i] for i in members) / len(members) / (2 * h)
        assert analytic[c].item() == pytest.approx(numeric, rel=1e-4, abs=1e-3)


def test_paper_gradient_formula():
    features, labels, temperatures, prototypes, _ = _batch(17, 14, 3, 4)
    terms = bdcl_loss_terms(features, labels, temperatures, prototypes)
    z = F.normalize(features, dim=1)
    for row, i in enumerate(terms.anchor_index.tolist()):
        c = int(labels[i])
        sims = [float(z[i] @ z[p]) for p in range(14) if p != i and int(labels[p]) == c]
        sims.append(float(z[i] @ prototypes[c]))
        expected = sum(1 - s for s in sims) / len(sims) / float(temperatures[c])**2
        got = tdl_anchor_gradient('paper', terms.mean_pos_sim[row:row + 1], None,
                                  terms.anchor_temperature[row:row + 1])
        assert got.item() == pytest.approx(expected, rel=1e-5)


def test_statistics_are_per_class_sums():
    features, labels, temperatures, _, _ = _batch(19, 24, 3, 5, torch.float32)
    preds = labels.clone()
    preds[:6] = (labels[:6] + 1) % 3
    terms = bdcl_loss_terms(features, labels, temperatures, expected_similarity=True)
    stats = bdcl_statistics(terms, labels, preds, 3, 'paper', use_prototypes=True)
    z = F.normalize(features, dim=1)
    for c in range(3):
        members = labels == c
        hard = members & (preds != labels)
        torch.testing.assert_close(stats.feat_sum[c], z[members].sum(0))
        torch.testing.assert_close(stats.hard_sum[c], z[hard].sum(0))
        assert stats.feat_count[c] == members.sum() and stats.hard_count[c] == hard.sum()
        assert stats.anchor_count[c] == members.sum()  # every item here has a positive
    unused = bdcl_statistics(terms, labels, preds, 3, 'none', False)
    for name in ('tdl_grad_sum', 'margin_sum', 'feat_sum', 'hard_count'):
        assert not getattr(unused, name).any(), name


def _gradient_stats(grad_sum, count):
    stats = BDCLStatistics.zeros(len(grad_sum), 2)
    stats.tdl_grad_sum, stats.anchor_count = torch.tensor(grad_sum), torch.tensor(count)
    return stats


def test_tdl_update_uses_the_class_mean_and_clamps():
    taus = torch.tensor([0.1, 0.1, 0.1, 0.1])
    stats = _gradient_stats([1000.0, 100.0, -500.0, 7.0], [10.0, 1.0, 5.0, 0.0])
    new = tdl_update(taus, stats, 'descent', 1e-4, 0.03, 1.0)
    torch.testing.assert_close(new, torch.tensor([0.09, 0.09, 0.11, 0.1]))
    new = tdl_update(taus, stats, 'ascent', 1e-4, 0.03, 1.0)
    torch.testing.assert_close(new, torch.tensor([0.11, 0.11, 0.09, 0.1]))
    assert torch.equal(tdl_update(taus, stats, 'none', 1e-4, 0.03, 1.0), taus)
    huge = tdl_update(taus, stats, 'descent', 1e3, 0.03, 1.0)
    torch.testing.assert_close(huge, torch.tensor([0.03, 0.03, 1.0, 0.1]))


def test_hep_update_formula():
    protos = F.normalize(torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]), dim=1)
    valid = torch.tensor([True, True, False])
    hard_sum = torch.tensor([[0.0, 2.0], [0.0, 0.0], [5.0, 5.0]])
    hard_count = torch.tensor([2.0, 0.0, 1.0])
    feat_sum = torch.tensor([[3.0, 1.0], [0.0, 4.0], [0.0, 3.0]])
    feat_count = torch.tensor([3.0, 4.0, 3.0])
    new, new_valid = hep_update(protos, valid, hard_sum, hard_count, feat_sum, feat_count, 0.1)
    expected0 = F.normalize(torch.tensor([0.9 * 1.0, 0.1 * 1.0]), dim=0)
    torch.testing.assert_close(new[0], expected0)
    torch.testing.assert_close(new[1], protos[1])  # no hard example: unchanged
    torch.testing.assert_close(new[2], torch.tensor([0.0, 1.0]))  # first appearance: mean of all
    assert new_valid.all()
    torch.testing.assert_close(new.norm(dim=1), torch.ones(3))


@pytest.mark.parametrize('kwargs,match', [
    (dict(labels=torch.tensor([0, 1, 3])), r'\[0, C\) with C = 3'),
    (dict(labels=torch.tensor([0, -1, 2])), r'\[0, C\)'),
    (dict(labels=torch.tensor([0, 1])), 'labels must have shape'),
    (dict(prototypes=torch.zeros(3, 5)), r'prototypes must have shape \(C, D\) = \(3, 4\)'),
    (dict(prototype_mask=torch.ones(2, dtype=torch.bool)), 'prototype_mask'),
    (dict(chunk_size=0), 'chunk_size'),
])
def test_functional_rejects_bad_arguments(kwargs, match):
    args = dict(
        features=torch.randn(3, 4),
        labels=torch.tensor([0, 1, 2]),
        temperatures=torch.full((3, ), 0.1))
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        bdcl_loss(**args)


def _saved_bytes(chunk_size, n=600, d=8):
    """Bytes autograd keeps for backward (summed over every saved tensor)."""
    features, labels, temperatures, prototypes, _ = _batch(23, n, 3, d, torch.float32)
    features.requires_grad_(True)
    total = [0]

    def pack(tensor):
        total[0] += tensor.numel() * tensor.element_size()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        loss = bdcl_loss(features, labels, temperatures, prototypes, chunk_size=chunk_size)
    loss.backward()
    return total[0]


def test_chunked_backward_memory_is_linear_in_n():
    n = 600
    full, full_double = _saved_bytes(None, n), _saved_bytes(None, 2 * n)
    chunked, chunked_double = _saved_bytes(50, n), _saved_bytes(50, 2 * n)
    assert full > n * n * 4 and full_double > 3.5 * full  # the (N, N) matrix is kept
    assert chunked < n * n * 4 / 5 and chunked_double < 2.1 * chunked


def reference_mean_negative_similarity(features, labels, prototypes=None, mask=None):
    """Loop reference of the mean similarity to the negatives: {anchor: value or None}."""
    z = _normalise(_rows(features))
    y = [int(v) for v in labels]
    protos = None if prototypes is None else _rows(prototypes)
    out = {}
    for i in range(len(z)):
        sims = [_dot(z[i], z[a]) for a in range(len(z)) if y[a] != y[i]]
        if protos is not None:
            sims += [
                _dot(z[i], protos[k]) for k in range(len(protos))
                if k != y[i] and (mask is None or bool(mask[k]))
            ]
        out[i] = sum(sims) / len(sims) if sims else None
    return out


@pytest.mark.parametrize('use_protos', [False, True])
def test_mean_negative_similarity_matches_loop_reference(use_protos):
    features, labels, temperatures, prototypes, mask = _batch(29, 17, 3, 5, torch.float64)
    protos = (prototypes, mask) if use_protos else (None, None)
    terms = bdcl_loss_terms(features, labels, temperatures, *protos)
    ref = reference_mean_negative_similarity(features, labels, *protos)
    for row, i in enumerate(terms.anchor_index.tolist()):
        assert bool(terms.has_negative[row]) == (ref[i] is not None)
        assert terms.mean_neg_sim[row].item() == pytest.approx(ref[i] or 0.0, rel=1e-9,
                                                                 abs=1e-12)
    one_class = bdcl_loss_terms(features, torch.zeros_like(labels), temperatures[:1])
    assert not one_class.has_negative.any() and not one_class.mean_neg_sim.any()


@pytest.mark.parametrize('use_protos', [False, True])
@pytest.mark.parametrize('chunk_size', [None, 4])
def test_groups_contrast_each_group_separately(use_protos, chunk_size):
    features, labels, temperatures, prototypes, mask = _batch(31, 21, 3, 5, torch.float64)
    protos = (prototypes, mask) if use_protos else (None, None)
    groups = torch.tensor([7, 2, 7, 9] * 5 + [2])  # three images, arbitrary ids
    got = bdcl_loss_terms(features, labels, temperatures, *protos, chunk_size=chunk_size,
                          groups=groups)
    per_anchor, negatives = {}, {}
    for g in groups.unique().tolist():
        members = (groups == g).nonzero().squeeze(1)
        sub = [features[members], labels[members], temperatures, *protos]
        for local, value in reference_anchor_losses(*sub).items():
            per_anchor[int(members[local])] = value
        for local, value in reference_mean_negative_similarity(sub[0], sub[1],
                                                               *protos).items():
            negatives[int(members[local])] = value
    assert sorted(per_anchor) == got.anchor_index.tolist()
    expected = sum(per_anchor.values()) / len(per_anchor)
    assert got.loss.item() == pytest.approx(expected, rel=1e-9)
    for row, i in enumerate(got.anchor_index.tolist()):
        assert got.anchor_loss[row].item() == pytest.approx(per_anchor[i], rel=1e-9)
        assert got.mean_neg_sim[row].item() == pytest.approx(negatives[i] or 0.0, rel=1e-9,
                                                             abs=1e-12)
    # the groups change the loss: one group is not the same as three
    assert abs(bdcl_loss(features, labels, temperatures, *protos).item() - expected) > 1e-3


def test_groups_chunked_gradient_equals_full():
    features, labels, temperatures, prototypes, mask = _batch(37, 26, 4, 6, torch.float64)
    groups = torch.arange(26) % 3
    grads = []
    for chunk_size in (None, 5):
        x = features.clone().requires_grad_(True)
        t = temperatures.clone().requires_grad_(True)
        bdcl_loss(x, labels, t, prototypes, mask, chunk_size=chunk_size, groups=groups).backward()
        grads.append((x.grad, t.grad))
    torch.testing.assert_close(grads[0][0], grads[1][0])
    torch.testing.assert_close(grads[0][1], grads[1][1])


def test_groups_must_match_labels():
    features, labels, temperatures, _, _ = _batch(3, 8, 2, 4)
    with pytest.raises(ValueError, match='groups'):
        bdcl_loss(features, labels, temperatures, groups=torch.zeros(7, dtype=torch.long))
    with pytest.raises(ValueError, match='groups'):
        bdcl_loss(features, labels, temperatures, groups=torch.zeros(8))
