"""Unit tests of the benchmark helpers (statistics, mmengine log parsing, tables)."""
import json
import math

import pytest

from benchmarks.common import (fmt_mean_std, fmt_paired, format_option, last_record_with,
                               markdown_table, mean_std, paired_difference, read_scalars,
                               spearman)
from benchmarks.seg_benchmark import RunFailed, parse_table


def test_mean_std_is_sample_std():
    mean, std = mean_std([1.0, 2.0, 4.0])
    assert mean == pytest.approx(7 / 3)
    # squared deviations 16/9 + 1/9 + 25/9 = 42/9, / (n - 1) = 7/3
    assert std == pytest.approx(math.sqrt(7 / 3))
    assert mean_std([5.0]) == (5.0, 0.0)
    with pytest.raises(ValueError):
        mean_std([])


def test_fmt_mean_std():
    assert fmt_mean_std([1.0, 3.0]) == '2.00 ± 1.41'
    assert fmt_mean_std([1.234]) == '1.23'


def test_paired_difference_is_a_t_interval_over_shared_seeds():
    ours = {0: 10.0, 1: 12.0, 2: 11.0, 3: 13.0, 7: 99.0}
    theirs = {0: 9.0, 1: 10.0, 2: 10.5, 3: 11.5}
    diff = paired_difference(ours, theirs)
    # differences 1, 2, 0.5, 1.5: mean 1.25, sd 0.6455, t(0.975, 3) = 3.1824
    assert diff['seeds'] == [0, 1, 2, 3] and diff['n'] == 4
    assert diff['mean'] == pytest.approx(1.25)
    half = 3.182446 * 0.645497 / 2
    assert diff['low'] == pytest.approx(1.25 - half, abs=1e-4)
    assert diff['high'] == pytest.approx(1.25 + half, abs=1e-4)
    assert diff['verdict'] == 'beats'
    assert paired_difference(theirs, ours)['verdict'] == 'worse'
    assert paired_difference({0: 1.0, 1: 3.0}, {0: 2.0, 1: 2.0})['verdict'] == 'no difference shown'
    assert paired_difference({0: 1.0}, {0: 2.0, 1: 2.0}) is None
    assert fmt_paired(diff) == '+1.25 [+0.22, +2.28]'
    assert fmt_paired(None) == '—'


def test_spearman_matches_hand_values():
    assert spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    # ranks x = 1,2,3 ; y = 1,3,2 -> 1 - 6 * 2 / (3 * 8) = 0.5
    assert spearman([1, 2, 3], [5, 9, 7]) == pytest.approx(0.5)
    assert math.isnan(spearman([1, 2, 3], [1, 1, 1]))


def test_format_option_for_cfg_options():
    assert format_option(False) == 'False'
    assert format_option([128, 128]) == '[128,128]'
    assert format_option('data/x') == 'data/x'


def test_markdown_table():
    assert markdown_table(['a', 'b'], [[1, 2]]) == '| a | b |\n| --- | --- |\n| 1 | 2 |'


def test_read_scalars_uses_newest_log_folder(tmp_path):
    for stamp, acc in (('20260101_000000', 1.0), ('20260102_000000', 2.0)):
        vis = tmp_path / stamp / 'vis_data'
        vis.mkdir(parents=True)
        lines = [{'loss': 3.0, 'iter': 1, 'step': 1}, {'imbalance/acc': acc, 'step': 1}]
        (vis / 'scalars.json').write_text('\n'.join(json.dumps(x) for x in lines) + '\n')
    records = read_scalars(str(tmp_path))
    assert last_record_with(records, 'imbalance/acc')['imbalance/acc'] == 2.0
    assert last_record_with(records, 'missing') is None
    with pytest.raises(FileNotFoundError):
        read_scalars(str(tmp_path / 'nothing'))


def test_parse_seg_table():
    log = ('x - mmengine - INFO - per class results:\n'
           'x - mmengine - INFO - \n'
           '+------------+-------+-------+-------+\n'
           '|   Class    |  IoU  |  Acc  |  Dice |\n'
           '+------------+-------+-------+-------+\n'
           '| background | 97.81 | 100.0 | 98.89 |\n'
           '|   benign   |  nan  |  nan  |  nan  |\n'
           '| malignant  |  12.5 |  20.0 |  22.2 |\n'
           '+------------+-------+-------+-------+\n'
           'x - mmengine - INFO - Iter(val) mIoU: 55.1\n')
    table = parse_table(log)
    assert table['background'] == {'IoU': 97.81, 'Acc': 100.0, 'Dice': 98.89}
    assert table['benign']['IoU'] is None
    assert table['malignant']['Dice'] == 22.2
    with pytest.raises(RunFailed):
        parse_table('no table here')
