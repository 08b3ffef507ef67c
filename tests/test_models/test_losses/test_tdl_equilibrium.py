"""'balance' pins a class at a clamp exactly when the stated condition says (functional core):
the update iterated to its fixed point against :func:`balance_is_interior` and the closed form."""
import math

import pytest
import torch

from bdcl_mm.models.losses import (BDCLStatistics, balance_equilibrium, balance_is_interior,
                                   balance_target, tdl_update)

TAU_MIN, TAU_MAX, TAU_INIT = 0.03, 1.0, 0.1


def iterate(margins, lr, updates):
    """``tdl_update('balance')`` from ``tau_init`` on fixed margins (every class present)."""
    stats = BDCLStatistics.zeros(len(margins), 2)
    stats.anchor_count = stats.margin_count = torch.ones(len(margins))
    stats.margin_sum = margins.float()
    taus = torch.full((len(margins), ), TAU_INIT)
    for _ in range(updates):
        taus = tdl_update(taus, stats, 'balance', lr, TAU_MIN, TAU_MAX, TAU_INIT)
    return taus.double()


def pinned(taus):
    return ((taus - TAU_MIN).abs() < 1e-6 * TAU_MIN) | ((taus - TAU_MAX).abs() < 1e-6)


@pytest.mark.parametrize('lr', [0.01, 0.1])
def test_a_class_pins_exactly_when_the_condition_fails(lr):
    g = torch.Generator().manual_seed(0)
    outcomes = set()
    for draw in range(24):
        classes = 3 + draw % 4
        # log-uniform margins spread over up to 60x, so both outcomes occur
        margins = 0.5 * torch.exp(-math.log(60) * torch.rand(classes, generator=g))
        final = iterate(margins, lr, 1500 if lr < 0.05 else 200)
        interior = balance_is_interior(margins, TAU_INIT, TAU_MIN, TAU_MAX)
        assert interior == (not bool(pinned(final).any())), (margins, final)
        target = balance_target(margins, TAU_INIT)
        torch.testing.assert_close(
            final, balance_equilibrium(margins, TAU_INIT, TAU_MIN, TAU_MAX, lr), rtol=2e-4,
            atol=0.0)
        if interior:
            torch.testing.assert_close(final, target, rtol=2e-4, atol=0.0)
        outcomes.add(interior)
    assert outcomes == {True, False}


@pytest.mark.parametrize('side, pins', [(1.01, False), (0.99, True)])
def test_the_bound_is_the_ratio_to_the_geometric_mean(side, pins):
    # class 0's margin is side * (tau_min / tau_init) times the margins' geometric mean
    ratio = side * TAU_MIN / TAU_INIT
    others = torch.tensor([1.0, 1.5])
    m0 = (ratio**3 * others.prod())**0.5  # m0 / (m0 * 1 * 1.5)^(1/3) = ratio
    margins = torch.cat([torch.tensor([m0]), others])
    assert balance_is_interior(margins, TAU_INIT, TAU_MIN, TAU_MAX) == (not pins)
    final = iterate(margins, 0.1, 800)
    assert bool(pinned(final)[0]) == pins and not pinned(final)[1:].any()


def test_a_pinned_class_shifts_the_geometric_mean_by_order_lr():
    margins = torch.tensor([0.1, 1.2, 3.08])  # 12x and 31x apart: class 0 pins at tau_min
    assert not balance_is_interior(margins, TAU_INIT, TAU_MIN, TAU_MAX)
    shifts = []
    for lr in (0.001, 0.01, 0.1):
        taus = balance_equilibrium(margins, TAU_INIT, TAU_MIN, TAU_MAX, lr)
        assert taus[0] == pytest.approx(TAU_MIN)
        assert float(taus[2] / taus[1]) == pytest.approx(3.08 / 1.2)  # inside: proportional
        shifts.append(math.log(math.exp(taus.log().mean()) / TAU_INIT))
    assert 0 < shifts[0] < shifts[1] < shifts[2] < 0.1
    assert shifts[1] / shifts[0] == pytest.approx(10, rel=0.05)
