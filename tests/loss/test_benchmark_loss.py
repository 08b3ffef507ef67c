"""tools/analysis/benchmark_loss.py: a --quick CPU smoke run and its SupCon reference."""
import importlib.util
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch

from bdcl_mm.models.losses import bdcl_loss

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SCRIPT = osp.join(ROOT, 'tools', 'analysis', 'benchmark_loss.py')


def _load_tool():
    spec = importlib.util.spec_from_file_location('benchmark_loss_tool', SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_naive_reference_is_supcon():
    tool = _load_tool()
    torch.manual_seed(0)
    features, labels = torch.randn(40, 16), torch.randint(0, 3, (40, ))
    torch.testing.assert_close(
        tool.naive_supcon(features, labels, 0.1), bdcl_loss(features, labels, torch.full((3, ),
                                                                                         0.1)))


def test_quick_run_prints_the_table(tmp_path):
    # One thread: the smoke run stays fast on a loaded shared CPU.
    env = dict(
        os.environ,
        OMP_NUM_THREADS='1',
        PYTHONPATH=ROOT + os.pathsep + os.environ.get('PYTHONPATH', ''))
    result = subprocess.run([sys.executable, SCRIPT, '--quick', '--device', 'cpu'],
                            cwd=tmp_path,
                            env=env,
                            capture_output=True,
                            text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert 'chunk_size=64' in lines[0]
    rows = [line.split('|') for line in lines[2:]]
    assert [int(row[0]) for row in rows] == [128, 256, 512]
    for row in rows:
        naive_ms, full_ms, chunk_ms = float(row[1]), float(row[3]), float(row[5])
        assert min(naive_ms, full_ms, chunk_ms) > 0
        # The ratio is of the unrounded times; the printed times have two decimals.
        assert float(row[8]) == pytest.approx(chunk_ms / naive_ms, rel=0.05, abs=0.011)
    assert list(tmp_path.iterdir()) == []
