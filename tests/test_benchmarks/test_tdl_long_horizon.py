"""The long-horizon TDL replay: tabulated statistics against direct closed-loop evaluation,
the settle criteria, and the committed command in its quick mode."""
import json
import math
import os
import subprocess
import sys

import pytest
import torch
import torch.nn.functional as F

from bdcl_mm.models.losses import bdcl_loss_terms, bdcl_statistics, tdl_update
from benchmarks.tdl_replay import (RecordedBatch, replay, settle_report, statistics_at, tabulate,
                                   temperature_grid)
from tests._shared.paths import REPO


def _batches(n=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    out = []
    for i in range(n):
        labels = torch.arange(30) % 3
        features = F.one_hot(labels, 8).float() + 0.6 * torch.randn(30, 8, generator=g)
        preds = torch.where(torch.rand(30, generator=g) < 0.3, (labels + 1) % 3, labels)
        protos = F.normalize(torch.randn(3, 8, generator=g), dim=1)
        out.append(RecordedBatch(features, labels, preds, protos, torch.tensor([1, 1, 0]).bool(),
                                 i))
    return out


@pytest.mark.parametrize('rule,tolerance', [('balance', 1e-6), ('paper', 1e-6),
                                            ('descent', 2e-3)])
def test_tabulated_statistics_match_a_direct_evaluation(rule, tolerance):
    grid = temperature_grid(0.03, 1.0, 65)
    batch = _batches(1)[0]
    table = tabulate(batch, 3, grid)
    taus = torch.tensor([0.05, 0.11, 0.37])
    terms = bdcl_loss_terms(batch.features, batch.labels, taus, batch.prototypes,
                            batch.prototype_valid, expected_similarity=True)
    direct = bdcl_statistics(terms, batch.labels, batch.preds, 3, rule, use_prototypes=False)
    got = statistics_at(table, rule, taus, grid.log(), 8)
    fields = ('margin_sum', 'margin_count') if rule == 'balance' else ('tdl_grad_sum', )
    for name in ('anchor_count', ) + fields:
        torch.testing.assert_close(getattr(got, name), getattr(direct, name), rtol=tolerance,
                                   atol=1e-6)


def test_replay_follows_the_closed_loop_rule():
    grid = temperature_grid(0.03, 1.0, 65)
    batches = _batches(4)
    tables = [tabulate(b, 3, grid) for b in batches]
    trace = replay(tables, 'paper', 8, grid, 8, lr=1e-4, samples=8)
    # the same draws, evaluated directly at the current temperatures every update
    draws = torch.randint(2**62, (8, ), generator=torch.Generator().manual_seed(0)).tolist()
    taus = torch.full((3, ), 0.1)
    for t in range(8):
        end = max(1, min(4, math.ceil((t + 1) * 4 / (0.9 * 8))))
        start = max(0, end - 1)
        index = start + draws[t] % (end - start)
        b = batches[index]
        terms = bdcl_loss_terms(b.features, b.labels, taus, b.prototypes, b.prototype_valid)
        taus = tdl_update(taus, bdcl_statistics(terms, b.labels, b.preds, 3, 'paper', False),
                          'paper', 1e-4, 0.03, 1.0)
    torch.testing.assert_close(torch.tensor(trace['final']), taus, rtol=1e-5, atol=0)
    assert len(trace['taus']) == 9 and trace['updates'][-1] == 8


def test_replay_holds_the_final_features_where_stopped_is_judged():
    """Over the last tenth of the updates only the recording's last tenth is drawn: batches whose
    margins differ make balance move while they are drawn, and stop once only the last one is."""
    grid = temperature_grid(0.03, 1.0, 9)
    batches = _batches(10)
    for i, b in enumerate(batches):  # class 0 separates more and more over the recording
        b.features[b.labels == 0] = F.one_hot(torch.tensor(0), 8).float() * (1 + i) + \
            0.1 * b.features[b.labels == 0]
    tables = [tabulate(b, 3, grid) for b in batches]
    trace = replay(tables, 'balance', 2000, grid, 8, lr=0.05, margin_momentum=0.05, samples=200)
    taus = torch.tensor(trace['taus'])
    updates = torch.tensor(trace['updates'])
    late = taus[updates >= 1900, 0]
    assert (late.max() - late.min()) / late.mean() < 1e-3  # one batch, settled: no motion
    assert taus[:, 0].max() / taus[:, 0].min() > 1.5  # it moved while the features aged
    assert all(r['stopped'] and r['inside'] for r in settle_report(trace, 0.03, 1.0))


def test_settle_report():
    flat = {'updates': list(range(101)), 'taus': [[0.1, 0.03, 0.5 + 0.01 * t] for t in range(101)]}
    rows = settle_report(flat, 0.03, 1.0)
    assert rows[0] == dict(final=0.1, inside=True, drift=0.0, stopped=True, jitter=0.0)
    assert not rows[1]['inside'] and rows[1]['stopped']  # at the clamp
    assert not rows[2]['stopped'] and rows[2]['drift'] > 0.01  # still rising


def test_quick_command_writes_table_and_figure(tmp_path):
    results = tmp_path / 'results'
    cmd = [sys.executable, os.path.join(REPO, 'benchmarks', 'tdl_long_horizon.py'), '--quick',
           '--work-dir', str(tmp_path / 'work'), '--results-dir', str(results)]
    env = dict(os.environ, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=900, env=env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    summary = json.loads((results / 'tdl_long_horizon.json').read_text())
    assert set(summary['settings']) == {'hrnet_ocr_tui', 'isic2019_stage1', 'hyper_kvasir_stage1'}
    for entry in summary['settings'].values():
        assert set(entry['rules']) == {'balance', 'paper', 'descent', 'ascent'}
        assert entry['rules']['balance']['trace']['updates'][-1] == 200
    assert (results / 'figures' / 'tdl_long_horizon.png').stat().st_size > 10000
    text = (results / 'tdl_long_horizon.md').read_text()
    assert 'Default rule `balance`' in text
