"""Smoke tests of the segmentation and cost benchmarks (real configs and scripts, tiny sizes)."""
import json
import os
import subprocess
import sys

from tests._shared.paths import REPO
from tests.test_docs_generated import problems

# One thread per process: the benchmark subprocesses share 2 cores with the test runner.
ENV = dict(os.environ, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')


def _run(script, args, tmp_path):
    cmd = [sys.executable, os.path.join(REPO, 'benchmarks', script), '--quick'] + args
    proc = subprocess.run(cmd, cwd=str(tmp_path), capture_output=True, text=True, timeout=600,
                          env=ENV)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout


def test_seg_quick(tmp_path):
    results = tmp_path / 'results'
    _run('seg_benchmark.py', ['--work-dir', str(tmp_path / 'work'), '--data-dir',
                              str(tmp_path / 'data'), '--results-dir', str(results)], tmp_path)
    for method in ('ce', 'bdcl'):
        data = json.loads((results / 'runs' / 'seg' / f'{method}_seed0.json').read_text())
        assert data['settings']['iters'] == 3
        assert 0.0 <= data['mIoU'] <= 100.0
        assert set(data['per_class']) == {'background', 'benign', 'malignant'}
        present = [v['IoU'] for v in data['per_class'].values() if v['IoU'] is not None]
        # mIoU is the mean over the classes present in the val split
        assert abs(sum(present) / len(present) - data['mIoU']) < 0.02
        # HD95 / ASSD per foreground class from SurfaceDistanceMetric's table (None: undefined)
        assert data['surface']['unit'] == 'px'
        assert set(data['surface']['per_class']) == {'benign', 'malignant'}
        for values in data['surface']['per_class'].values():
            assert {'HD95', 'ASSD', 'missed', 'false alarm', 'absent'} <= set(values)
            assert values['HD95'] is None or values['HD95'] >= 0.0
    bdcl = json.loads((results / 'runs' / 'seg' / 'bdcl_seed0.json').read_text())
    assert 'temperature_history' in bdcl
    summary = json.loads((results / 'seg_results.json').read_text())
    assert set(summary['rows']) == {'ce', 'bdcl'}
    md = (results / 'seg_results.md').read_text()
    assert '**Synthetic data**' in md and 'OCR + CE' in md and 'OCR + BDCL' in md
    assert '| HD95 benign (px) | HD95 malignant (px) |' in md


def test_cost_quick(tmp_path):
    out = _run('cost_benchmark.py', ['--results-dir', str(tmp_path), '--log-dir',
                                     str(tmp_path / 'logs')], tmp_path)
    assert out.count(': ok ->') == 2
    step = (tmp_path / 'cost_seg_step.md').read_text()
    assert 'ratio BDCL / CE (median over paired steps):' in step
    assert 'benchmark_seg_step.py --quick' in step
    loss = (tmp_path / 'cost_loss.md').read_text()
    assert 'benchmark_loss.py --quick' in loss and 'BDCL loss forward+backward' in loss
    # the libraries' warnings stay in the stderr logs, out of the pages
    assert problems(step) == [] and problems(loss) == []
    assert 'Warning' in (tmp_path / 'logs' / 'cost_seg_step.stderr.log').read_text()
