"""tools/analysis/benchmark_loss.py: a --quick CPU smoke run and its SupCon reference."""
import importlib.util
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch

from bdcl_mm.models.losses import bdcl_loss
from tests._shared.paths import REPO

SCRIPT = osp.join(REPO, 'tools', 'analysis', 'benchmark_loss.py')


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


def test_pml_supcon_equals_bdcl_at_equal_temperatures_without_prototypes():
    pytest.importorskip('pytorch_metric_learning')
    tool = _load_tool()
    torch.manual_seed(0)
    features, labels = torch.randn(300, 32), torch.randint(0, 3, (300, ))
    labels[:2] = 3  # a class of two
    labels[2] = 4  # a class of one: no positive, left out of both means
    for tau in (0.07, 0.1, 0.5):
        ours = bdcl_loss(features, labels, torch.full((5, ), tau))
        theirs = tool.pml_supcon(tau)(features, labels)
        assert abs(float(ours) - float(theirs)) < 1e-6 * max(1.0, float(ours))
        assert float(theirs) > 0


def test_quick_run_prints_the_table(tmp_path):
    # One thread: the smoke run stays fast on a loaded shared CPU.
    env = dict(
        os.environ,
        OMP_NUM_THREADS='1',
        PYTHONPATH=REPO + os.pathsep + os.environ.get('PYTHONPATH', ''))
    result = subprocess.run([sys.executable, SCRIPT, '--quick', '--device', 'cpu'],
                            cwd=tmp_path,
                            env=env,
                            capture_output=True,
                            text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert 'chunk_size=64' in lines[0]
    rows = [line.split('|') for line in lines[2:] if line.split('|')[0].strip().isdigit()]
    assert [int(row[0]) for row in rows] == [128, 256, 512]
    for row in rows:
        naive_ms, full_ms, chunk_ms = float(row[1]), float(row[3]), float(row[5])
        assert min(naive_ms, full_ms, chunk_ms) > 0
        # The ratio is of the unrounded times; the printed times have two decimals.
        assert float(row[8]) == pytest.approx(chunk_ms / naive_ms, rel=0.05, abs=0.011)
    assert list(tmp_path.iterdir()) == []


def test_cpu_memory_is_measured_and_grows_quadratically_for_the_full_matrix(tmp_path):
    # A fresh process: in a long-lived one glibc serves large blocks from its own freed heap
    # memory, which the resident set does not show.
    env = dict(os.environ, OMP_NUM_THREADS='1',
               PYTHONPATH=REPO + os.pathsep + os.environ.get('PYTHONPATH', ''))
    result = subprocess.run([sys.executable, SCRIPT, '--device', 'cpu', '--sizes', '1024', '2048',
                             '--dim', '32', '--chunk-size', '128', '--repeats', '1'],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert 'peak resident set' in result.stdout
    rows = [line.split('|') for line in result.stdout.strip().splitlines()[2:]
            if line.split('|')[0].strip().isdigit()]
    if rows[0][2].strip() == '-':
        pytest.skip('this kernel offers no /proc/self/clear_refs peak reset')
    naive = [float(r[2]) for r in rows]
    full = [float(r[4]) for r in rows]
    chunk = [float(r[6]) for r in rows]
    # (N, N) float32 is 4 MiB at N=1024 and 16 MiB at 2048; the naive loss holds several at once
    assert naive[0] >= 4.0 and naive[1] > 3.0 * naive[0]
    assert full[1] > 3.0 * full[0]
    assert chunk[1] < 2.5 * chunk[0] and chunk[1] < naive[1] / 4


def test_implementations_that_would_not_fit_are_skipped_with_a_reason(monkeypatch):
    tool = _load_tool()
    previous = {'N': 1024, 'naive_mib': 100.0, 'full_mib': 80.0, 'chunked_mib': 10.0}
    assert tool.predicted_mib(previous, 'naive', 4096) == pytest.approx(1600.0)
    assert tool.predicted_mib(previous, 'chunked', 4096) == pytest.approx(40.0)
    assert tool.predicted_mib(None, 'naive', 4096) is None
    tool._map_large_cpu_blocks()
    monkeypatch.setattr(tool, 'free_memory_mib', lambda device: 1e-3)  # 1 KiB "free"
    rows = tool.run([512, 2048], dim=16, num_classes=3, chunk_size=64, repeats=1,
                    device=torch.device('cpu'))
    if not rows[0]['naive_mib']:
        pytest.skip('this kernel offers no /proc/self/clear_refs peak reset')
    assert rows[1]['naive_ms'] == 'skip' and '0.0 GiB free' in rows[1]['naive_skip']
    table = tool.format_table(rows)
    assert 'skip: naive at N=2048 needs' in table
