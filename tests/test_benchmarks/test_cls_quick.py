"""Smoke test of the classification benchmark: real configs, tools/train.py, tiny data, 1 epoch."""
import json
import os
import subprocess
import sys

import pytest

from benchmarks.cls_plan import Settings
from tests._shared.paths import REPO

# One thread per process: the benchmark subprocesses share 2 cores with the test runner.
ENV = dict(os.environ, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')
pytestmark = pytest.mark.skipif(
    not os.path.isdir('/usr/share/datasets/fashion-mnist'),
    reason='needs Debian dataset-fashion-mnist (apt-get install dataset-fashion-mnist)')


def _run(args, tmp_path):
    cmd = [sys.executable, os.path.join(REPO, 'benchmarks', 'cls_benchmark.py'), '--quick',
           '--work-dir', str(tmp_path / 'work'), '--data-dir', str(tmp_path / 'data'),
           '--results-dir', str(tmp_path / 'results')] + args
    proc = subprocess.run(cmd, cwd=str(tmp_path), capture_output=True, text=True, timeout=600,
                          env=ENV)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout


def test_cls_quick_runs_aggregates_and_skips(tmp_path):
    out = _run([], tmp_path)
    results = tmp_path / 'results'
    runs = results / 'runs' / 'cls' / 'hard-tail'
    for method in ('ce_crt', 'bdcl_balance_crt'):
        data = json.loads((runs / f'{method}_seed0.json').read_text())
        assert data['settings']['epochs_stage1'] == 1
        for key in ('acc', 'gmean', 'f1', 'iba_0.1', 'few_shot_acc'):
            assert 0.0 <= data['metrics'][key] <= 100.0
        assert len(data['commands']) == 2 and 'tools/train.py' in data['commands'][1]
    stage1 = json.loads((runs / 'stage1_bdcl_balance_seed0.json').read_text())
    assert len(stage1['temperatures']) == 10
    assert all(0.03 - 1e-6 <= t <= 1.0 + 1e-6 for t in stage1['temperatures'])
    assert stage1['curves']['train']['loss'] and stage1['curves']['val']['gmean']
    ce_stage1 = json.loads((runs / 'stage1_ce_seed0.json').read_text())
    assert ce_stage1['temperatures'] is None
    summary = json.loads((results / 'cls_results.json').read_text())
    rows = summary['tables']['hard-tail']
    assert set(rows) == {'ce_crt', 'bdcl_balance_crt'}
    assert rows['bdcl_balance_crt']['metrics']['acc']['values'] == [
        json.loads((runs / 'bdcl_balance_crt_seed0.json').read_text())['metrics']['acc']]
    assert 'balance' in summary['temperatures']['hard-tail']
    md = (results / 'cls_results.md').read_text()
    assert 'CE + cRT' in md and 'BDCL + cRT' in md and '**1 epochs**' in md
    assert (results / 'tdl_rule.md').read_text().startswith('# Which TDL rule?')
    assert (results / 'figures' / 'cls_curves_hard-tail.png').stat().st_size > 0
    assert (results / 'figures' / 'cls_temperatures_hard-tail.png').stat().st_size > 0
    assert out.count('[run]') == 4

    # A re-run finds every result and trains nothing.
    again = _run([], tmp_path)
    assert '[run]' not in again and again.count('[skip]') == 2

    # --tsne-only on a clone that holds the run JSONs but not the checkpoints: the BDCL stage 1
    # is trained again (to the same result) and drawn; CE too; SCL has no run and is not drawn.
    for name in (stage1['checkpoint'], ce_stage1['checkpoint']):
        os.remove(name if os.path.isabs(name) else os.path.join(REPO, name))
    tsne_out = _run(['--tsne-only'], tmp_path)
    assert tsne_out.count('tools/train.py') == 2 and tsne_out.count('tools/analysis/tsne.py') == 2
    record = json.loads((results / 'runs' / 'cls' / 'tsne.json').read_text())
    assert record['figures'] == ['figures/tsne_hard-tail_ce.png',
                                 'figures/tsne_hard-tail_bdcl_balance.png']
    assert all((results / f).stat().st_size > 0 for f in record['figures'])
    retrained = json.loads((runs / 'stage1_bdcl_balance_seed0.json').read_text())
    assert retrained['temperatures'] == pytest.approx(stage1['temperatures'], abs=1e-6)
    assert 'tsne_hard-tail_bdcl_balance.png' in (results / 'cls_results.md').read_text()

    # The t-SNE tool on the BDCL stage-1 checkpoint.
    settings = Settings(**stage1['settings'])
    data_root = [p for p in (tmp_path / 'data').iterdir() if p.is_dir()][0]
    png = tmp_path / 'tsne.png'
    cmd = [sys.executable, os.path.join(REPO, 'tools', 'analysis', 'tsne.py'),
           os.path.join(REPO, stage1['config']), stage1['checkpoint'], '--out', str(png),
           '--max-samples', '30', '--cfg-options', f'test_dataloader.dataset.data_root={data_root}'
           ] + [f'{k}={v}' for k, v in settings.model_options().items()]
    proc = subprocess.run(cmd, cwd=str(tmp_path), capture_output=True, text=True, timeout=300,
                          env=ENV)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 't-SNE of 30 images (64-d features)' in proc.stdout
    assert png.stat().st_size > 0
    # never overwrite without --force
    proc = subprocess.run(cmd, cwd=str(tmp_path), capture_output=True, text=True, timeout=300,
                          env=ENV)
    assert proc.returncode != 0 and 'exists' in proc.stderr
