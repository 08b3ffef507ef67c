"""The paired-t minimum detectable difference (benchmarks/power.py) against t quantiles, the
non-central t and a simulation of the paired t-test."""
import math

import numpy as np
import pytest
from scipy.stats import ttest_1samp

from benchmarks import power


def test_mde_is_the_t_quantile_formula():
    # t_{0.975,4} = 2.7764451, t_{0.80,4} = 0.9409646 (tables of Student's t)
    assert power.mde(2.0, 5) == pytest.approx((2.7764451 + 0.9409646) * 2.0 / math.sqrt(5),
                                              rel=1e-6)
    # large n: the normal quantiles 1.959964 + 0.841621
    assert power.mde(1.0, 100000) * math.sqrt(100000) == pytest.approx(2.801585, rel=1e-3)
    assert power.mde(0.0, 5) == 0.0


def test_a_difference_of_one_mde_is_found_four_times_in_five():
    rng = np.random.default_rng(0)
    n, sd = 5, 1.5
    delta = power.mde(sd, n)
    exact = power.power_at(delta, sd, n)
    assert exact == pytest.approx(0.80, abs=0.02)  # the t approximation, 0.791 at n = 5
    diffs = rng.normal(delta, sd, size=(40000, n))
    found = ttest_1samp(diffs, 0.0, axis=1).pvalue < 0.05
    assert found.mean() == pytest.approx(exact, abs=0.01)
    null = ttest_1samp(rng.normal(0.0, sd, size=(40000, n)), 0.0, axis=1).pvalue < 0.05
    assert null.mean() == pytest.approx(0.05, abs=0.005)
    assert power.power_at(delta, sd, 30) > 0.99  # more seeds resolve the same difference better


def test_seeds_needed_is_the_smallest_n_that_resolves_delta():
    sd, delta = 3.0, 2.0
    n = power.seeds_needed(sd, delta)
    assert power.mde(sd, n) <= delta < power.mde(sd, n - 1)
    assert power.seeds_needed(0.0, 2.0) == 2
    assert power.seeds_needed(1e6, 1e-3, n_max=50) is None


def test_sd_interval_is_the_chi_square_interval():
    low, high = power.sd_interval(2.0, 10)
    # chi2_{0.975,9} = 19.0228, chi2_{0.025,9} = 2.7004
    assert low == pytest.approx(2.0 * math.sqrt(9 / 19.0228), rel=1e-4)
    assert high == pytest.approx(2.0 * math.sqrt(9 / 2.7004), rel=1e-4)


def test_summarise_and_bad_input():
    s = power.summarise([1.0, -1.0, 0.0, 2.0], n_seeds=5, target=2.0)
    assert s['n'] == 4 and s['mean'] == pytest.approx(0.5)
    assert s['sd'] == pytest.approx(np.std([1.0, -1.0, 0.0, 2.0], ddof=1))
    assert s['identical'] == 1 and s['mde'] == pytest.approx(power.mde(s['sd'], 5))
    assert s['mde_low'] < s['mde'] < s['mde_high']
    with pytest.raises(ValueError, match='n >= 2'):
        power.mde(1.0, 1)
    with pytest.raises(ValueError, match='>= 2 paired differences'):
        power.summarise([1.0], 5, 2.0)
    with pytest.raises(ValueError, match='delta'):
        power.seeds_needed(1.0, 0.0)
