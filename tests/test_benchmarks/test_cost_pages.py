"""The step-cost page: its ratios carry a spread and say when they are within it, and the
benchmark scripts' stderr (library warnings, tracebacks) never lands in a page."""
import argparse
import importlib.util
import math
import os.path as osp
import sys

import pytest

from benchmarks import cost_benchmark
from benchmarks.render_readme import cost_section
from tests._shared.paths import REPO
from tests.test_docs_generated import problems


def load_step_benchmark():
    path = osp.join(REPO, 'tools', 'analysis', 'benchmark_seg_step.py')
    spec = importlib.util.spec_from_file_location('benchmark_seg_step', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def bench():
    return load_step_benchmark()


def _coverage(n, k):
    """P(x_(k) <= median <= x_(n+1-k)) from the binomial sum, written out."""
    return 1.0 - 2.0 * sum(math.comb(n, i) for i in range(k)) / 2**n


@pytest.mark.parametrize('n,k', [(11, 2), (20, 6), (30, 10), (6, 1), (5, 1), (3, 1)])
def test_median_interval_is_the_order_statistic_interval(bench, n, k):
    """Ranks as the published tables of the distribution-free 95% interval of a median give
    (n = 11: 2nd and 10th; 20: 6th and 15th; 30: 10th and 21st); below n = 6 the range."""
    values = [float(v) for v in range(n, 0, -1)]  # unsorted on purpose
    low, high, coverage = bench.median_interval(values)
    assert (low, high) == (float(k), float(n + 1 - k))
    assert coverage == pytest.approx(_coverage(n, k))
    if n >= 6:
        assert coverage >= 0.95 > _coverage(n, k + 1)


def _res(ce, bdcl):
    return {'CE': dict(times_ms=list(ce), peak_gib=None),
            'BDCL': dict(times_ms=list(bdcl), peak_gib=None)}


def test_a_ratio_below_one_inside_the_spread_reads_within_noise(bench):
    # 11 pairs: the median pair ratio is 0.89, but 1 lies inside the interval
    ratios = [0.70, 0.75, 0.80, 0.85, 0.88, 0.89, 0.95, 1.00, 1.05, 1.10, 1.20]
    res = _res([1000.0] * 11, [1000.0 * r for r in ratios])
    summary = bench.ratio_summary(res)
    assert summary.median == pytest.approx(0.89)
    assert (summary.low, summary.high) == pytest.approx((0.75, 1.10))
    assert summary.reading.startswith('within noise')
    assert bench.ratio_summary(_res([100.0] * 11, [80.0] * 11)).reading.startswith(
        'below 1 beyond the interval: timing bias, not a saving')
    assert bench.ratio_summary(_res([100.0] * 11, [120.0] * 11)).reading == 'BDCL slower'


def test_pairs_are_ratios_of_side_by_side_steps(bench):
    """A load spike that slows both steps of one pair leaves that pair's ratio alone."""
    res = _res([100.0, 400.0, 100.0], [110.0, 440.0, 110.0])
    assert bench.pair_ratios(res) == pytest.approx([1.1, 1.1, 1.1])
    assert bench.ratio(res) == pytest.approx(1.1)


def test_table_prints_the_spread_and_the_reading(bench):
    args = argparse.Namespace(batch=2, size=128, device='cpu', amp=False, reps=11, warmup=1)
    ratios = [0.70, 0.75, 0.80, 0.85, 0.88, 0.89, 0.95, 1.00, 1.05, 1.10, 1.20]
    results = {'HRNetV2-W18S + OCR': _res([100.0] * 11, [120.0] * 11),
               'DeepLabV3+ R-50-D8': _res([1000.0] * 11, [1000.0 * r for r in ratios])}
    lines = bench.format_table(args, results)
    text = '\n'.join(lines)
    assert 'distribution-free 99% interval' in text  # 11 pairs: ranks 2 and 10, 98.8%
    assert '| DeepLabV3+ R-50-D8 | 1000.0 (1000.0-1000.0) | 890.0 (825.0-1025.0) | 0.890 | ' \
           '[0.750, 1.100] | within noise (the interval holds 1) |' in text
    assert lines[-1] == ('ratio BDCL / CE (median over paired steps): 1.200 [1.200, 1.200], '
                         'BDCL slower (HRNetV2-W18S + OCR)')


def _fake_commands(code):
    def commands(args):
        return {'seg_step': [sys.executable, '-c', code]}
    return commands


WARN_AND_PRINT = ("import sys, warnings; warnings.warn('pkg_resources is deprecated'); "
                  "print('Training step, batch 2 (median)'); print(); print('| model | x |'); "
                  "print('| --- | ---: |'); print('| M | 1 |'); print(); "
                  "print('ratio BDCL / CE (median over paired steps): 1.020 [0.990, 1.050], "
                  "within noise (the interval holds 1) (M)')")


def test_the_cost_page_takes_stdout_only(tmp_path, monkeypatch):
    monkeypatch.setattr(cost_benchmark, 'commands', _fake_commands(WARN_AND_PRINT))
    assert cost_benchmark.main(['--only', 'seg_step', '--results-dir', str(tmp_path),
                                '--log-dir', str(tmp_path / 'logs')]) == 0
    page = (tmp_path / 'cost_seg_step.md').read_text()
    assert '| M | 1 |' in page and 'Warning' not in page
    assert problems(page) == []
    assert 'UserWarning' in (tmp_path / 'logs' / 'cost_seg_step.stderr.log').read_text()
    # the results page quotes the ratio with its interval and reading
    section = '\n'.join(cost_section(str(tmp_path), str(tmp_path)))
    assert ('BDCL / CE step-time ratio **1.020** [0.990, 1.050], within noise; table in '
            '[cost_seg_step.md]') in section


def test_a_failed_run_leaves_no_traceback_in_its_page(tmp_path, monkeypatch):
    monkeypatch.setattr(cost_benchmark, 'commands', _fake_commands('raise SystemExit(1 / 0)'))
    assert cost_benchmark.main(['--only', 'seg_step', '--results-dir', str(tmp_path),
                                '--log-dir', str(tmp_path / 'logs')]) == 1
    page = (tmp_path / 'cost_seg_step.md').read_text()
    assert 'FAILED (exit 1)' in page and 'cost_seg_step.stderr.log' in page
    assert problems(page) == []
    assert 'ZeroDivisionError' in (tmp_path / 'logs' / 'cost_seg_step.stderr.log').read_text()
