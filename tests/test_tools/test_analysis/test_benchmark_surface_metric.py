"""tools/analysis/benchmark_surface_metric.py: a --quick run writes the cost page with both rows."""
import importlib.util
import os.path as osp
import re

import numpy as np
import pytest

from tests._shared.paths import REPO

SCRIPT = osp.join(REPO, 'tools', 'analysis', 'benchmark_surface_metric.py')


def _load_tool():
    spec = importlib.util.spec_from_file_location('benchmark_surface_metric_tool', SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_lesion_pairs_have_both_classes_and_fit_the_image():
    tool = _load_tool()
    rng = np.random.default_rng(0)
    for radius in tool.SIZES.values():
        pred, gt = tool.lesion_pair(rng, 96, radius)
        assert pred.shape == gt.shape == (96, 96)
        assert set(np.unique(gt)) == {0, 1, 2}


def test_quick_run_writes_the_page_with_ratios_and_agreeing_values(tmp_path):
    pytest.importorskip('monai')
    tool = _load_tool()
    out = tmp_path / 'cost_surface_metric.md'
    assert tool.main(['--quick', '--out', str(out)]) == 0
    text = out.read_text()
    assert '- command: `python tools/analysis/benchmark_surface_metric.py --quick`' in text
    rows = [line for line in text.splitlines()
            if line.startswith('| ') and 'ms' not in line and '---' not in line]
    assert len(rows) == len(tool.SIZES)
    for row in rows:
        cells = [c.strip() for c in row.strip('|').split('|')]
        assert re.fullmatch(r'[0-9.]+ \([0-9.]+ - [0-9.]+\)', cells[1]) and float(cells[3]) > 0
        assert float(cells[4]) < 1e-3  # the same values as MONAI's (float32 there)
