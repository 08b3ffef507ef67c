"""Power of the paired comparisons: the smallest paired difference a benchmark resolves.

Pure Python + scipy. A benchmark compares two methods by the per-seed differences
``d_i = y_A(seed i) - y_B(seed i)`` over ``n`` seeds with a two-sided paired t-test (the 95%
interval of ``benchmarks/common.py`` ``paired_difference``). With ``sd`` the standard deviation of
one such difference, the smallest true mean difference found with probability ``power`` at level
``alpha`` is (the usual t approximation of the non-central t power)::

    MDE(n) = (t_{1 - alpha/2, n-1} + t_{power, n-1}) * sd / sqrt(n)
"""
import math
from typing import Optional, Sequence, Tuple

ALPHA = 0.05
POWER = 0.80


def mde(sd: float, n: int, alpha: float = ALPHA, power: float = POWER) -> float:
    """Minimum detectable mean paired difference with ``n`` paired seeds.

    Args:
        sd: standard deviation of one paired difference (same units as the metric).
        n: number of paired seeds (>= 2).
        alpha: two-sided level (0.05: the 95% interval).
        power: probability of resolving a true difference of the returned size.

    Returns:
        float: ``(t_{1-alpha/2, n-1} + t_{power, n-1}) * sd / sqrt(n)``.
    """
    from scipy.stats import t as student_t
    if n < 2:
        raise ValueError(f'a paired t-test needs n >= 2 seeds, got n={n}.')
    if not sd >= 0:
        raise ValueError(f'sd must be a number >= 0, got {sd}.')
    if not (0 < alpha < 1 and 0 < power < 1):
        raise ValueError(f'alpha and power must lie in (0, 1), got {alpha} and {power}.')
    df = n - 1
    factor = float(student_t.ppf(1 - alpha / 2, df) + student_t.ppf(power, df))
    return factor * sd / math.sqrt(n)


def seeds_needed(sd: float, delta: float, alpha: float = ALPHA, power: float = POWER,
                 n_max: int = 10000) -> Optional[int]:
    """The smallest ``n >= 2`` with ``mde(sd, n) <= delta``; None when more than ``n_max``."""
    if not delta > 0:
        raise ValueError(f'delta must be > 0, got {delta}.')
    n = 2
    while n <= n_max:
        if mde(sd, n, alpha, power) <= delta:
            return n
        n = n + 1 if n < 100 else int(n * 1.05) + 1
    return None


def sd_interval(sd: float, n: int, confidence: float = 0.95) -> Tuple[float, float]:
    """Chi-square interval of a normal population's sd from a sample sd of ``n`` values."""
    from scipy.stats import chi2
    if n < 2:
        raise ValueError(f'an sd interval needs n >= 2 values, got n={n}.')
    df = n - 1
    low = sd * math.sqrt(df / float(chi2.ppf(0.5 + confidence / 2, df)))
    high = sd * math.sqrt(df / float(chi2.ppf(0.5 - confidence / 2, df)))
    return low, high


def summarise(diffs: Sequence[float], n_seeds: int, target: float) -> dict:
    """Mean, sd (ddof=1) with its 95% interval, MDE at ``n_seeds`` (also at the interval's
    ends) and the seeds needed to resolve ``target``, of paired differences ``diffs``."""
    from .common import mean_std
    diffs = [float(d) for d in diffs]
    if len(diffs) < 2:
        raise ValueError(f'summarise needs >= 2 paired differences, got {len(diffs)}.')
    mean, sd = mean_std(diffs)
    low, high = sd_interval(sd, len(diffs))
    return dict(n=len(diffs), mean=mean, sd=sd, sd_low=low, sd_high=high,
                identical=sum(d == 0.0 for d in diffs), n_seeds=n_seeds,
                mde=mde(sd, n_seeds), mde_low=mde(low, n_seeds), mde_high=mde(high, n_seeds),
                target=target, seeds_for_target=seeds_needed(sd, target))


def power_at(delta: float, sd: float, n: int, alpha: float = ALPHA) -> float:
    """Exact power of the two-sided paired t-test for a true mean difference ``delta``: the
    non-central t probability of ``|T| > t_{1-alpha/2, n-1}`` with non-centrality
    ``delta * sqrt(n) / sd`` (the check on :func:`mde`'s approximation)."""
    from scipy.stats import nct
    from scipy.stats import t as student_t
    if not sd > 0:
        raise ValueError(f'sd must be > 0, got {sd}.')
    df = n - 1
    crit = float(student_t.ppf(1 - alpha / 2, df))
    nc = delta * math.sqrt(n) / sd
    return float(nct.sf(crit, df, nc) + nct.sf(crit, df, -nc))  # upper + lower tail
