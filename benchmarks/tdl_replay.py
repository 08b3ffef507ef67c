"""Long-horizon replay of the TDL rules on recorded BDCL inputs (pure torch + the loss maths).

A recording holds what a real training run fed its ``BDCLLoss`` (features, labels, predictions
and the prototypes at that moment), one entry per recorded iteration. The replay runs a TDL rule
for as many updates as a shipped config applies, in closed loop: at update ``t`` it draws one of
the recorded batches near the same fraction of the run (so the features age as they did in
training; over the final tenth of the updates, where "stopped" is judged, the features stay those
of the recording's end) and computes that batch's statistics at the *current* temperatures, then
takes the rule's step with :func:`bdcl_mm.models.losses.functional.tdl_update`.

Every anchor's terms use its own class's temperature, so the per-class sums of a batch are a
function of that class's temperature alone. :func:`tabulate` evaluates them once per batch on a
grid of temperatures with the real loss code (:func:`bdcl_loss_terms`, :func:`bdcl_statistics`),
and the replay interpolates the grid in ``log tau``; this makes tens of thousands of updates
cheap. The 'balance' rule's margins and the 'paper' rule's ``sum (1 - mean_pos_sim)`` do not
depend on the temperature at all, so for them the replay is exact.
"""
import dataclasses
import math
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

import torch
from torch import Tensor

from bdcl_mm.models.losses import (DEFAULT_TDL_LR, GRADIENT_RULES, BDCLStatistics,
                                   bdcl_loss_terms, bdcl_statistics, running_margin_update,
                                   tdl_update)
from bdcl_mm.models.losses.bdcl_loss import DEFAULT_MARGIN_MOMENTUM

#: Fraction of the final updates over which "stopped" is judged (two halves compared).
STOP_WINDOW = 0.10
#: Largest relative change of a temperature across the last ``STOP_WINDOW`` for "stopped".
STOP_TOLERANCE = 0.01


@dataclass
class RecordedBatch:
    """What one training forward gave a ``BDCLLoss`` (ignored items already removed)."""
    features: Tensor  # (N, D)
    labels: Tensor  # (N,)
    preds: Optional[Tensor]  # (N,)
    prototypes: Optional[Tensor]  # (C, D), None without HEP
    prototype_valid: Optional[Tensor]  # (C,)
    iteration: int


@dataclass
class BatchTable:
    """The per-class sums of one batch on a temperature grid.

    ``descent[k, c]`` is ``tau^2 * tdl_grad_sum_c`` of the exact-gradient rule when class c has
    temperature ``grid[k]``, i.e. ``sum_i (mean_pos_sim_i - expected_sim_i)`` over its anchors.
    """
    anchor_count: Tensor  # (C,)
    margin_sum: Tensor  # (C,)
    margin_count: Tensor  # (C,)
    paper: Tensor  # (C,)  sum_i (1 - mean_pos_sim_i), temperature-free
    descent: Tensor  # (K, C)


def temperature_grid(tau_min: float, tau_max: float, points: int = 33) -> Tensor:
    """``points`` temperatures log-spaced over ``[tau_min, tau_max]``."""
    return torch.logspace(math.log10(tau_min), math.log10(tau_max), points, dtype=torch.float64)


@torch.no_grad()
def tabulate(batch: RecordedBatch, num_classes: int, grid: Tensor) -> BatchTable:
    """Evaluate a recorded batch's TDL statistics at every temperature of ``grid``."""
    features = batch.features.float()
    descent = torch.zeros(len(grid), num_classes, dtype=torch.float64)
    first = None
    for k, tau in enumerate(grid.tolist()):
        taus = torch.full((num_classes, ), tau)
        terms = bdcl_loss_terms(features, batch.labels, taus, batch.prototypes,
                                batch.prototype_valid, expected_similarity=True)
        stats = bdcl_statistics(terms, batch.labels, batch.preds, num_classes, 'descent', False)
        descent[k] = stats.tdl_grad_sum.double() * tau**2
        if first is None:
            first = (terms, bdcl_statistics(terms, batch.labels, batch.preds, num_classes,
                                            'balance', False))
    terms, balance = first
    anchor_labels = batch.labels[terms.anchor_index]
    paper = torch.zeros(num_classes, dtype=torch.float64).index_add(
        0, anchor_labels, (1.0 - terms.mean_pos_sim).double())
    return BatchTable(balance.anchor_count.double(), balance.margin_sum.double(),
                      balance.margin_count.double(), paper, descent)


def _interpolate(values: Tensor, log_grid: Tensor, log_tau: Tensor) -> Tensor:
    """Piecewise-linear interpolation in ``log tau`` of ``values (K, C)`` at ``log_tau (C,)``."""
    position = ((log_tau - log_grid[0]) / (log_grid[1] - log_grid[0])).clamp(0, len(log_grid) - 1)
    low = position.floor().long().clamp(max=len(log_grid) - 2)
    frac = position - low
    columns = torch.arange(values.shape[1])
    return values[low, columns] * (1 - frac) + values[low + 1, columns] * frac


def statistics_at(table: BatchTable, rule: str, taus: Tensor, log_grid: Tensor,
                  feat_dim: int) -> BDCLStatistics:
    """The batch's ``BDCLStatistics`` for ``rule`` at the per-class temperatures ``taus``."""
    stats = BDCLStatistics.zeros(len(taus), feat_dim)
    stats.anchor_count = table.anchor_count.float()
    stats.margin_sum = table.margin_sum.float()
    stats.margin_count = table.margin_count.float()
    if rule in GRADIENT_RULES:
        stats.tdl_grad_sum = gradient_sum_at(table, rule, taus, log_grid)
    return stats


def gradient_sum_at(table: BatchTable, rule: str, taus: Tensor, log_grid: Tensor) -> Tensor:
    """``tdl_grad_sum (C,)`` of a gradient rule at the per-class temperatures ``taus``."""
    tau = taus.double()
    if rule == 'paper':
        return (table.paper / tau**2).float()
    return (_interpolate(table.descent, log_grid, tau.log()) / tau**2).float()


def replay(tables: Sequence[BatchTable],
           rule: str,
           updates: int,
           grid: Tensor,
           feat_dim: int,
           lr: Optional[float] = None,
           margin_momentum: float = DEFAULT_MARGIN_MOMENTUM,
           tau_init: float = 0.1,
           tau_min: float = 0.03,
           tau_max: float = 1.0,
           samples: int = 500,
           seed: int = 0) -> Dict[str, List]:
    """Run ``rule`` for ``updates`` steps over the recorded batches; return the trajectory.

    The features age over the first ``1 - STOP_WINDOW`` of the updates: at update ``t`` a batch
    is drawn uniformly from the recorded ones within the last tenth of the recording before
    position ``(t + 1) / ((1 - STOP_WINDOW) * updates)``. Over the final ``STOP_WINDOW`` of the
    updates, where "stopped" is judged, the draws come from the recording's last tenth (its most
    trained features) throughout, so a drift there is the rule's own and not a change of the
    features or of which few recorded batches happen to be drawn. 'balance' reads running margin
    estimates with weight ``margin_momentum``, as ``BDCLLoss`` does.

    Returns:
        dict: ``updates`` (the update index of every sample), ``taus`` (per sample, C values)
        and ``final`` (the temperatures after the last update).
    """
    lr = DEFAULT_TDL_LR[rule] if lr is None else lr
    generator = torch.Generator().manual_seed(seed)
    log_grid = grid.log()
    num_classes = len(tables[0].anchor_count)
    taus = torch.full((num_classes, ), tau_init)
    window = max(1, len(tables) // 10)
    every = max(1, updates // samples)
    trace_updates, trace = [0], [taus.tolist()]
    # one BDCLStatistics per batch: only a gradient rule's sums depend on the temperatures
    base = [statistics_at(table, rule, taus, log_grid, feat_dim) for table in tables]
    draws = torch.randint(2**62, (updates, ), generator=generator).tolist()
    running = (torch.zeros(num_classes), torch.zeros(num_classes))
    for t in range(updates):
        end = max(1, min(len(tables),
                         math.ceil((t + 1) * len(tables) / ((1 - STOP_WINDOW) * updates))))
        start = max(0, end - window)
        index = start + draws[t] % (end - start)
        stats = base[index]
        if rule in GRADIENT_RULES:
            stats.tdl_grad_sum = gradient_sum_at(tables[index], rule, taus, log_grid)
        elif rule == 'balance':
            running = running_margin_update(*running, stats.margin_sum, stats.margin_count,
                                            margin_momentum)
            stats = dataclasses.replace(stats, margin_sum=running[0], margin_count=running[1])
        taus = tdl_update(taus, stats, rule, lr, tau_min, tau_max, tau_init)
        if (t + 1) % every == 0 or t + 1 == updates:
            trace_updates.append(t + 1)
            trace.append([round(v, 5) for v in taus.tolist()])
    return {'updates': trace_updates, 'taus': trace, 'final': taus.tolist()}


def settle_report(trace: Dict[str, List], tau_min: float, tau_max: float) -> List[dict]:
    """Per class: final value, whether it is inside the clamps, its drift, "stopped", jitter.

    Drift is the relative change between the mean temperature over the last half of the final
    ``STOP_WINDOW`` of updates and the mean over the half before; "stopped" means a drift below
    ``STOP_TOLERANCE``. "Inside" means at least 1% (in ``log tau``) away from both clamps.
    Jitter is the standard deviation of ``log tau`` over the last half of ``STOP_WINDOW``.
    """
    updates = torch.tensor(trace['updates'], dtype=torch.float64)
    taus = torch.tensor(trace['taus'], dtype=torch.float64)
    total = float(updates[-1])
    late = updates > total * (1 - STOP_WINDOW / 2)
    before = (updates > total * (1 - STOP_WINDOW)) & ~late
    rows = []
    for c in range(taus.shape[1]):
        final = float(taus[-1, c])
        a, b = float(taus[before, c].mean()), float(taus[late, c].mean())
        drift = abs(b - a) / a
        inside = (math.log(final / tau_min) > 0.01) and (math.log(tau_max / final) > 0.01)
        jitter = float(taus[late, c].log().std()) if int(late.sum()) > 1 else 0.0
        rows.append(dict(final=final, inside=inside, drift=drift, stopped=drift < STOP_TOLERANCE,
                         jitter=jitter))
    return rows
