"""Where each TDL rule settles on fixed features, run for many updates (functional core)."""
import math

import pytest
import torch
import torch.nn.functional as F

from bdcl_mm.models.losses.functional import (balance_error, bdcl_loss_terms, bdcl_statistics,
                                              running_margin_update, tdl_update)
from bdcl_mm.models.losses.statistics import BDCLStatistics

TAU_MIN, TAU_MAX, TAU_INIT = 0.03, 1.0, 0.1


def imbalanced_clusters(seed=0, counts=(48, 16, 4), dim=16, noise=0.25):
    """A head, a mid and a tail class; the tail's centre lies between the other two."""
    g = torch.Generator().manual_seed(seed)
    centres = F.normalize(torch.randn(3, dim, generator=g), dim=1)
    centres[2] = F.normalize(centres[1] + 0.8 * centres[2], dim=0)
    labels = torch.cat([torch.full((n, ), c) for c, n in enumerate(counts)])
    features = centres[labels] + noise * torch.randn(len(labels), dim, generator=g)
    return features, labels


def run_rule(rule, updates, lr, tau0=None, seed=0, batch=None, margin_momentum=1.0):
    """``updates`` TDL steps on the same fixed features: the whole set, or random batches of
    ``batch`` head/mid items plus the whole tail. 'balance' reads running margins with weight
    ``margin_momentum`` (1: each batch's own), as ``BDCLLoss`` does."""
    features, labels = imbalanced_clusters(seed)
    taus = torch.full((3, ), TAU_INIT) if tau0 is None else torch.tensor(tau0)
    g = torch.Generator().manual_seed(seed + 1)
    tail = (labels == 2).nonzero().squeeze(1)
    rest = (labels != 2).nonzero().squeeze(1)
    history = []
    running = (torch.zeros(3), torch.zeros(3))
    for _ in range(updates):
        index = torch.arange(len(labels))
        if batch is not None:
            index = torch.cat([rest[torch.randperm(len(rest), generator=g)[:batch]], tail])
        terms = bdcl_loss_terms(features[index], labels[index], taus,
                                expected_similarity=rule in ('descent', 'ascent'))
        stats = bdcl_statistics(terms, labels[index], None, 3, rule, use_prototypes=False)
        if rule == 'balance':
            running = running_margin_update(*running, stats.margin_sum, stats.margin_count,
                                            margin_momentum)
            stats.margin_sum, stats.margin_count = running
        taus = tdl_update(taus, stats, rule, lr, TAU_MIN, TAU_MAX, TAU_INIT)
        history.append(taus)
    return torch.stack(history)


def class_margins():
    """Mean over each class's anchors of mean positive minus mean negative similarity."""
    features, labels = imbalanced_clusters()
    terms = bdcl_loss_terms(features, labels, torch.full((3, ), TAU_INIT))
    stats = bdcl_statistics(terms, labels, None, 3, 'balance', use_prototypes=False)
    return stats.margin_sum / stats.margin_count


def test_balance_settles_where_temperatures_are_proportional_to_the_margins():
    history = run_rule('balance', 800, lr=0.05)
    final = history[-1]
    assert ((final > TAU_MIN * 1.1) & (final < TAU_MAX * 0.9)).all(), final
    assert math.exp(final.log().mean().item()) == pytest.approx(TAU_INIT, rel=1e-4)
    margins = class_margins()
    assert margins.min() > 0 and margins.max() / margins.min() > 1.3  # a real spread
    expected = TAU_INIT * margins / math.exp(margins.log().mean().item())
    torch.testing.assert_close(final, expected, rtol=1e-3, atol=0.0)
    # the contraction is 1 - lr per update: after 100 steps the error is (0.95)^100 ~ 0.6%
    assert ((history[99] / expected).log().abs() < 0.02).all()
    assert ((history[0] / expected).log().abs() > 0.04).any()


def test_balance_returns_to_the_same_equilibrium_after_a_perturbation():
    reference = run_rule('balance', 800, lr=0.05)[-1]
    for tau0 in ([0.5, 0.03, 0.2], [0.04, 0.9, 0.04]):
        perturbed = run_rule('balance', 800, lr=0.05, tau0=tau0)[-1]
        torch.testing.assert_close(perturbed, reference, rtol=1e-3, atol=0.0)


def test_balance_on_random_batches_stops_moving_and_ignores_the_schedule_length():
    short = run_rule('balance', 600, lr=0.05, batch=36)
    long = run_rule('balance', 2400, lr=0.05, batch=36)
    last, before = long[-120:].mean(0), long[-240:-120].mean(0)
    assert ((last - before).abs() / before < 0.02).all()  # last 5% against the 5% before
    torch.testing.assert_close(short[-100:].mean(0), last, rtol=0.03, atol=0.0)
    assert ((last > TAU_MIN * 1.1) & (last < TAU_MAX * 0.9)).all()


def test_paper_rule_only_cools_down_to_the_clamp():
    history = run_rule('paper', 400, lr=3e-5)
    assert (history[1:] <= history[:-1] + 1e-7).all()
    torch.testing.assert_close(history[-1], torch.full((3, ), TAU_MIN))


def test_ascent_has_no_interior_equilibrium():
    final = run_rule('ascent', 1500, lr=3e-5)[-1]
    at_clamp = (final - TAU_MIN).abs() < 1e-6
    at_clamp |= (final - TAU_MAX).abs() < 1e-6
    assert at_clamp.any(), final


def test_balance_step_is_bounded_by_max_error():
    stats = BDCLStatistics.zeros(2, 3)
    stats.anchor_count = stats.margin_count = torch.tensor([5.0, 5.0])
    stats.margin_sum = torch.tensor([5.0, 5e-6])  # margins 1 and 1e-6 (floored at 1e-3)
    taus = torch.tensor([0.1, 0.1])
    new = tdl_update(taus, stats, 'balance', 0.01, TAU_MIN, TAU_MAX, 0.1, max_error=2.0)
    # errors +-log(1000)/2 = +-3.45 are clipped to +-2: log tau moves by 0.02 each way
    torch.testing.assert_close(new.log() - taus.log(), torch.tensor([0.02, -0.02]))


def test_running_margins_are_the_decayed_anchor_weighted_mean_of_past_batches():
    g = torch.Generator().manual_seed(0)
    sums = torch.randn(6, 3, generator=g)
    counts = torch.randint(0, 5, (6, 3), generator=g).float()
    counts[:, 2] = torch.tensor([3., 0., 0., 2., 0., 0.])  # absent in most updates
    m = 0.3
    running = (torch.zeros(3), torch.zeros(3))
    for t in range(6):
        running = running_margin_update(*running, sums[t], counts[t], m)
        weights = torch.tensor([(1 - m)**(t - k) for k in range(t + 1)])[:, None]
        expected = (weights * sums[:t + 1]).sum(0) / (weights * counts[:t + 1]).sum(0)
        seen = counts[:t + 1].sum(0) > 0
        torch.testing.assert_close((running[0] / running[1])[seen], expected[seen])
    # an update without anchors of a class leaves its estimate as it was
    before = running[0] / running[1]
    after = running_margin_update(*running, torch.zeros(3), torch.zeros(3), m)
    torch.testing.assert_close(after[0] / after[1], before)
    # momentum 1 is the update's own mean; non-finite sums change nothing
    own = running_margin_update(*running, sums[0], counts[0].clamp(min=1), 1.0)
    torch.testing.assert_close(own[0] / own[1], sums[0] / counts[0].clamp(min=1))
    bad = running_margin_update(*running, torch.tensor([float('nan'), 0., 0.]), counts[0], m)
    torch.testing.assert_close(bad[0], running[0])
    torch.testing.assert_close(bad[1], running[1])


def test_running_margins_calm_the_temperatures_on_random_batches():
    """Far less batch-to-batch jitter than each batch's own margins, and an equilibrium nearer
    the one of the whole set (a small batch's own margins of a rare class are noisy, and the
    noise biases ``log margin``)."""
    own = run_rule('balance', 2400, lr=0.05, batch=12)
    running = run_rule('balance', 2400, lr=0.05, batch=12, margin_momentum=0.01)
    jitter_own = own[-1200:].log().std(0)
    jitter_running = running[-1200:].log().std(0)
    assert (jitter_running < 0.5 * jitter_own).all(), (jitter_running, jitter_own)
    margins = class_margins()
    expected = TAU_INIT * margins / math.exp(margins.log().mean().item())
    error_own = (own[-1200:].mean(0) / expected).log().abs()
    error_running = (running[-1200:].mean(0) / expected).log().abs()
    assert error_running.max() < error_own.max() and error_running.max() < 0.3


def test_balance_error_reads_fractional_running_counts_as_means():
    """Running sums weigh a rare class's anchors by the momentum: a count of 0.002 anchors is a
    mean like any other, not a count to round up to one."""
    margin_sum, margin_count = torch.tensor([0.6, 0.9, 0.5]), torch.tensor([1.0, 3.0, 1.0])
    taus = torch.tensor([0.1, 0.12, 0.08])
    expected = balance_error(margin_sum, margin_count, taus)
    for scale in (0.5, 0.01, 2e-3):
        torch.testing.assert_close(balance_error(scale * margin_sum, scale * margin_count, taus),
                                   expected)
