"""The audit's per-class quantities against a loop over anchors and items, its drift and
equilibrium helpers on hand-made traces, and its random-init measurement on the demo model
(benchmarks/tdl_balance_audit.py)."""
import math

import pytest
import torch
import torch.nn.functional as F

from benchmarks.tdl_balance_audit import (against_fixed, class_quantities, class_sums, equilibrium,
                                          random_init, run_drift, spread)
from bdcl_mm.models.losses import (balance_equilibrium, balance_is_interior, bdcl_loss_terms,
                                   bdcl_statistics)


def loop_reference(features, labels, taus, prototypes=None, valid=None):
    """Per class: mean over anchors of Q_i, Q_i / tau and the margin / tau, by plain loops."""
    z = F.normalize(features.double(), dim=1)
    num_classes = len(taus)
    rows = {c: [] for c in range(num_classes)}
    for i in range(len(labels)):
        c, t = int(labels[i]), float(taus[labels[i]])
        items = [(float(z[i] @ z[j]), int(labels[j])) for j in range(len(labels)) if j != i]
        if prototypes is not None:
            p = F.normalize(prototypes.double(), dim=1)
            items += [(float(z[i] @ p[k]), k) for k in range(num_classes) if valid[k]]
        pos = [s for s, y in items if y == c]
        neg = [s for s, y in items if y != c]
        if not pos or not neg:
            continue
        norm = sum(math.exp(s / t) for s, _ in items)
        mass = sum(math.exp(s / t) for s in neg) / norm
        margin = sum(pos) / len(pos) - sum(neg) / len(neg)
        rows[c].append((mass, mass / t, margin / t))
    return {c: [sum(v[k] for v in r) / len(r) for k in range(3)] if r else None
            for c, r in rows.items()}


@pytest.mark.parametrize('with_prototypes', [False, True])
def test_quantities_match_a_loop_over_anchors(with_prototypes):
    g = torch.Generator().manual_seed(0)
    labels = torch.tensor([0, 0, 0, 0, 0, 1, 1, 1, 2, 3])  # class 3 has no positive item
    features = torch.randn(len(labels), 6, generator=g) + 1.5 * F.one_hot(labels, 6)
    taus = torch.tensor([0.05, 0.1, 0.3, 0.2])
    prototypes = valid = None
    if with_prototypes:
        prototypes = F.normalize(torch.randn(4, 6, generator=g), dim=1)
        valid = torch.tensor([True, False, True, True])  # class 2 and 3 anchor on prototypes
    sums = class_sums(features, labels, taus, prototypes, valid)
    values = class_quantities(sums, taus)
    reference = loop_reference(features, labels, taus, prototypes, valid)
    for c in range(4):
        got = [values[q][c] for q in ('negative_mass', 'negative_gradient', 'logit_gap')]
        if reference[c] is None:
            assert got == [None] * 3, c
        else:
            assert got == pytest.approx(reference[c], rel=1e-9), c
    assert (values['logit_gap'][2] is None) == (not with_prototypes)


def test_margins_agree_with_the_loss_that_balance_reads():
    g = torch.Generator().manual_seed(1)
    labels = torch.randint(0, 3, (40, ), generator=g)
    features = torch.randn(40, 8, generator=g) + F.one_hot(labels, 8)
    taus = torch.full((3, ), 0.1)
    terms = bdcl_loss_terms(features, labels, taus)
    stats = bdcl_statistics(terms, labels, None, 3, 'balance', False)
    sums = class_sums(features, labels, taus)
    torch.testing.assert_close(sums.anchors, stats.margin_count.double())
    torch.testing.assert_close(sums.margin, stats.margin_sum.double(), rtol=1e-5, atol=1e-5)


def test_spread_equilibrium_and_drift():
    assert spread([2.0, None, 0.5, 1.0]) == 4.0 and spread([1.0, None]) is None
    trace = dict(updates=list(range(0, 101)), taus=[[0.1 * (1 + (u >= 96)), 0.2]
                                                     for u in range(0, 101)])
    assert equilibrium(trace) == pytest.approx([0.2, 0.2])  # updates 96..100
    history = dict(iterations=list(range(0, 201)),
                   temperatures={'a': [0.1] * 181 + [0.1 + 0.001 * k for k in range(1, 21)],
                                 'b': [0.3] * 201})
    drift = run_drift(history, start=100)  # window: iterations 190..200
    assert drift[0]['cls'] == 'a'
    assert drift[0]['change'] == pytest.approx(0.010 / 0.110)  # 0.110 at 190, 0.120 at 200
    halves = (sum(0.1 + 0.001 * k for k in range(16, 21)) / 5) / (  # 196..200 against 190..195
        sum(0.1 + 0.001 * k for k in range(10, 16)) / 6) - 1
    assert drift[0]['halves'] == pytest.approx(halves)
    assert drift[1]['change'] == 0 and drift[1]['halves'] == 0


def test_against_fixed_compares_each_spread_with_the_fixed_temperature():
    rules = {'balance': dict(spread=dict(negative_mass=2.0, negative_gradient=1.5, logit_gap=None)),
             'none': dict(spread=dict(negative_mass=1.8, negative_gradient=1.8, logit_gap=1.4))}
    assert against_fixed(rules) == dict(negative_mass=False, negative_gradient=True,
                                        logit_gap=None)


def test_random_init_measures_the_demo_model_before_any_step(tmp_path):
    out = random_init(str(tmp_path), quick=True)
    assert out['batches'] == 2 and out['classes'] == ['background', 'benign', 'malignant']
    margins = torch.tensor(out['margins'], dtype=torch.float64)
    assert torch.isfinite(margins).all() and (margins != 0).any()
    args = (out['tau_init'], out['tau_min'], out['tau_max'])
    assert out['interior'] == balance_is_interior(margins, *args)
    torch.testing.assert_close(torch.tensor(out['equilibrium'], dtype=torch.float64),
                               balance_equilibrium(margins, *args, out['tdl_lr']).double())
    assert out['equilibrium_gm'] == pytest.approx(
        math.exp(sum(math.log(t) for t in out['equilibrium']) / 3))
