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
    rows = [line.split('|') for line in lines[2:] if '|' in line]
    assert [int(row[0]) for row in rows] == [128, 256, 512]
    for row in rows:
        naive_ms, full_ms, chunk_ms = float(row[1]), float(row[3]), float(row[5])
        assert min(naive_ms, full_ms, chunk_ms) > 0
        # The ratio is of the unrounded times; the printed times have two decimals.
        assert float(row[8]) == pytest.approx(chunk_ms / naive_ms, rel=0.05, abs=0.011)
    assert list(tmp_path.iterdir()) == []


def test_cpu_memory_is_measured_and_grows_quadratically_for_the_full_matrix():
    tool = _load_tool()
    tool._map_large_cpu_blocks()
    rows = tool.run([512, 1024], dim=32, num_classes=3, chunk_size=128, repeats=1,
                    device=torch.device('cpu'))
    if rows[0]['naive_mib'] is None:
        pytest.skip('this kernel offers no /proc/self/clear_refs peak reset')
    # (N, N) float32 is 1 MiB at N=512, 4 MiB at 1024; the naive loss holds several at once.
    assert rows[0]['naive_mib'] >= 1.0
    assert rows[1]['naive_mib'] > 2.5 * rows[0]['naive_mib']
    assert rows[1]['chunked_mib'] < rows[1]['naive_mib'] / 2


def test_implementations_that_would_not_fit_are_skipped_with_a_reason(monkeypatch):
    tool = _load_tool()
    previous = {'N': 1024, 'naive_mib': 100.0, 'full_mib': 80.0, 'chunked_mib': 10.0}
    assert tool.predicted_mib(previous, 'naive', 4096) == pytest.approx(1600.0)
    assert tool.predicted_mib(previous, 'chunked', 4096) == pytest.approx(40.0)
    assert tool.predicted_mib(None, 'naive', 4096) is None
    tool._map_large_cpu_blocks()
    monkeypatch.setattr(tool, 'free_memory_mib', lambda device: 2.0)  # 2 MiB "free"
    rows = tool.run([512, 2048], dim=16, num_classes=3, chunk_size=64, repeats=1,
                    device=torch.device('cpu'))
    if not rows[0]['naive_mib']:
        pytest.skip('this kernel offers no /proc/self/clear_refs peak reset')
    # (512, 512) float32 matrices: at least 1 MiB at N=512, so ~16x that at N=2048 > 0.7 * 2 MiB
    assert rows[1]['naive_ms'] == 'skip' and '0.0 GiB free' in rows[1]['naive_skip']
    table = tool.format_table(rows)
    assert 'skip: naive at N=2048 needs' in table
