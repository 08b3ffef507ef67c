"""Where the 'balance' TDL rule settles for fixed margins, clamps included (pure torch).

:func:`~bdcl_mm.models.losses.functional.tdl_update` with ``rule='balance'`` maps
``x = log tau`` (C classes, all present, margins ``m`` floored at ``min_margin``) to::

    e   = clip((log m - x) - mean(log m - x), +-max_error)
    y   = x + lr * e - mean(x + lr * e) + log tau_init
    x' <- clamp(y, log tau_min, log tau_max)

Without the clamps its fixed point is ``tau*_c = tau_init * m_c / GM(m)`` (GM: geometric mean
over the classes). With them, a fixed point has the form ``tau_c = clamp(kappa * m_c, tau_min,
tau_max)`` for one scale ``kappa``: the classes left inside stay proportional to their margins,
and the classes whose ``kappa * m_c`` falls outside pin at the clamp. The mean shift is taken
before the clamp, so once a class pins the geometric mean of the temperatures is no longer
``tau_init``: a class pinned at ``tau_min`` raises it (one at ``tau_max`` lowers it) by an amount
of order ``lr`` (:func:`balance_equilibrium` solves for ``kappa``).

Hence the equilibrium is **interior** (no class at a clamp) exactly when every unclamped
``tau*_c`` lies strictly inside ``(tau_min, tau_max)``, i.e. when every margin ratio to the
geometric mean satisfies ``tau_min / tau_init < m_c / GM(m) < tau_max / tau_init``
(:func:`balance_is_interior`). A spread ``max m / min m`` below
``min(tau_init / tau_min, tau_max / tau_init)`` always satisfies it; a spread above
``tau_max / tau_min`` never does.
"""
import math

import torch
from torch import Tensor

#: The margin floor of :func:`~bdcl_mm.models.losses.functional.balance_error`.
MIN_MARGIN = 1e-3


def balance_target(margins: Tensor, tau_init: float, min_margin: float = MIN_MARGIN) -> Tensor:
    """``(C,)`` unclamped equilibrium ``tau_init * m_c / GM(m)`` of the margins ``(C,)``."""
    log_m = margins.double().clamp(min=min_margin).log()
    return (math.log(tau_init) + log_m - log_m.mean()).exp()


def balance_is_interior(margins: Tensor,
                        tau_init: float,
                        tau_min: float,
                        tau_max: float,
                        min_margin: float = MIN_MARGIN) -> bool:
    """Whether 'balance' settles with every class strictly inside ``(tau_min, tau_max)``.

    True exactly when ``tau_min / tau_init < m_c / GM(m) < tau_max / tau_init`` for every class.
    """
    target = balance_target(margins, tau_init, min_margin)
    return bool(((target > tau_min) & (target < tau_max)).all())


def balance_equilibrium(margins: Tensor,
                        tau_init: float,
                        tau_min: float,
                        tau_max: float,
                        lr: float,
                        max_error: float = 2.0,
                        min_margin: float = MIN_MARGIN,
                        steps: int = 200) -> Tensor:
    """``(C,)`` fixed point of the clamped 'balance' update for fixed margins ``(C,)``.

    The fixed point is ``x = clamp(log m - K, log tau_min, log tau_max)`` (``K = -log kappa``)
    where ``K`` solves ``mean(x) - log tau_init + lr * mean(e) = lr * (K - mean(log m - x))``
    (``e`` the clipped error at ``x``): the classes inside take the same step ``lr * e_c`` as the
    mean shift. The left side minus the right decreases strictly in ``K``, so the root is unique;
    it is found by bisection. Without a class at a clamp this gives :func:`balance_target`.

    Args:
        margins (Tensor): ``(C,)`` class margins (mean positive minus mean negative similarity).
        tau_init (float): the geometric mean 'balance' keeps before the clamp.
        tau_min (float): lower clamp.
        tau_max (float): upper clamp.
        lr (float): ``tdl_lr``.
        max_error (float): clip of the error.
        min_margin (float): margin floor.
        steps (int): bisection steps.

    Returns:
        Tensor: ``(C,)`` float64 temperatures.
    """
    log_m = margins.double().clamp(min=min_margin).log()
    lo_x, hi_x, centre = math.log(tau_min), math.log(tau_max), math.log(tau_init)

    def excess(k: float) -> float:
        x = (log_m - k).clamp(lo_x, hi_x)
        gap = log_m - x
        error = (gap - gap.mean()).clamp(-max_error, max_error)
        return float(x.mean() - centre + lr * error.mean() - lr * (k - gap.mean()))

    low = float(log_m.min()) - hi_x - 1.0
    high = float(log_m.max()) - lo_x + 1.0
    for _ in range(steps):
        mid = 0.5 * (low + high)
        if excess(mid) > 0:
            low = mid
        else:
            high = mid
    return (log_m - 0.5 * (low + high)).clamp(lo_x, hi_x).exp()
