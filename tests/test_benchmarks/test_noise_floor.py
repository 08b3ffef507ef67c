"""The noise floor: perturbed runs kept apart from the main runs, paired with them, and the
perturbation reaching the training subprocess (hand-written run JSONs in tmp_path, no training)."""
import json
import os
import os.path as osp
import sys

import numpy as np
import pytest

from benchmarks import cls_plan as plan
from benchmarks import cls_runs, noise_floor, perturbation, power, seg_benchmark
from benchmarks.cls_aggregate import aggregate
from benchmarks.cls_benchmark import parse_args, settings_of
from benchmarks.common import read_json, run_logged, write_json
from tests._shared.paths import REPO

MAIN_ACC = {('hard-tail', 0): 50.0, ('hard-tail', 1): 52.0, ('hard-tail', 2): 54.0,
            ('natural', 0): 60.0, ('natural', 1): 61.0, ('natural', 2): 59.0}
PERTURBED_ACC = {('hard-tail', 0): 51.0, ('hard-tail', 1): 50.0, ('hard-tail', 2): 54.0,
                 ('natural', 0): 63.0, ('natural', 1): 61.5, ('natural', 2): 58.0}
MAIN_MIOU = {0: 40.0, 1: 42.0, 2: 44.0}
PERTURBED_MIOU = {0: 43.0, 1: 41.0, 2: 44.5}


def _cls_run(results_dir, order, seed, acc, settings):
    metrics = {m: acc for m in plan.METRICS}
    write_json(plan.method_result_path(results_dir, order, 'ce_crt', seed),
               dict(kind='method', method='ce_crt', label='CE + cRT', order=order, seed=seed,
                    settings=settings.as_dict(), settings_key=settings.key(), stage1='ce',
                    commands=['python tools/train.py x'], wall_s={'stage1': 1.0},
                    metrics=metrics, **perturbation.record_of(settings.perturb)))


def _seg_run(results_dir, seed, miou, settings):
    write_json(osp.join(results_dir, 'runs', 'seg', f'ce_seed{seed}.json'),
               dict(kind='seg', method='ce', label='OCR + CE', seed=seed,
                    settings=settings.as_dict(), settings_key=settings.key(), wall_s=1.0,
                    mIoU=miou, mDice=miou,
                    per_class={c: {'IoU': miou + i, 'Dice': miou}
                               for i, c in enumerate(seg_benchmark.CLASSES)},
                    **perturbation.record_of(settings.perturb)))


@pytest.fixture
def results(tmp_path):
    """Main runs in RESULTS/runs, threads2 re-runs in RESULTS/noise/threads2/runs, as the
    benchmarks write them; one re-run with other settings and one without a main run."""
    root = str(tmp_path / 'results')
    noisy = perturbation.runs_root(root, 'threads2')
    main, perturbed = plan.Settings(), plan.Settings(perturb='threads2')
    for (order, seed), acc in MAIN_ACC.items():
        _cls_run(root, order, seed, acc, main)
        _cls_run(noisy, order, seed, PERTURBED_ACC[(order, seed)], perturbed)
    _cls_run(noisy, 'hard-tail', 7, 10.0, perturbed)  # no main run of seed 7
    _cls_run(noisy, 'natural', 3, 10.0, plan.Settings(epochs_stage1=3, perturb='threads2'))
    _cls_run(root, 'natural', 3, 62.0, main)
    seg_main, seg_perturbed = seg_benchmark.SegSettings(), seg_benchmark.SegSettings(
        perturb='threads2')
    for seed, miou in MAIN_MIOU.items():
        _seg_run(root, seed, miou, seg_main)
        _seg_run(noisy, seed, PERTURBED_MIOU[seed], seg_perturbed)
    return root


def test_perturbed_runs_live_apart_and_main_keys_are_unchanged():
    assert plan.Settings().key() == read_json(osp.join(
        REPO, 'docs', 'results', 'runs', 'cls', 'hard-tail', 'ce_crt_seed0.json'))['settings_key']
    assert seg_benchmark.SegSettings().key() == read_json(osp.join(
        REPO, 'docs', 'results', 'runs', 'seg', 'ce_seed0.json'))['settings_key']
    perturbed = plan.Settings(perturb='threads2')
    assert perturbed.key() != plan.Settings().key()
    assert perturbed.as_dict()['perturb'] == 'threads2'
    assert 'perturb' not in plan.Settings().as_dict()
    assert perturbation.unperturbed_key(perturbed.as_dict()) == plan.Settings().key()
    assert perturbation.runs_root('R', 'threads2') == osp.join('R', 'noise', 'threads2')
    assert perturbation.command_line('python x.py', 'threads2') == (
        'OMP_NUM_THREADS=2 MKL_NUM_THREADS=2 python x.py')
    assert perturbation.command_line('python x.py', None) == 'python x.py'
    with pytest.raises(ValueError, match='choose from'):
        perturbation.get('threads3')


def test_main_aggregates_ignore_the_perturbed_runs(results):
    summary = aggregate(results, plan.Settings(), ['ce_crt'], ['hard-tail', 'natural'],
                        [0, 1, 2], osp.join(results, 'work'))
    assert summary['tables']['hard-tail']['ce_crt']['metrics']['acc']['values'] == [
        50.0, 52.0, 54.0]
    assert summary['tables']['natural']['ce_crt']['seeds'] == [0, 1, 2, 3]
    seg = seg_benchmark.aggregate(results, seg_benchmark.SegSettings(), ['ce'], [0, 1, 2])
    assert seg['rows']['ce']['mIoU'] == [40.0, 42.0, 44.0]


def test_pairs_are_same_method_order_and_seed(results):
    pairs, unpaired = noise_floor.pair_runs(results, 'threads2')
    cls = {(p.group, p.seed): p for p in pairs if p.benchmark == 'cls'}
    assert set(cls) == set(MAIN_ACC)
    for key, pair in cls.items():
        assert pair.main['acc'] == MAIN_ACC[key] and pair.perturbed['acc'] == PERTURBED_ACC[key]
    seg = {p.seed: p for p in pairs if p.benchmark == 'seg'}
    assert {s: p.main['mIoU'] for s, p in seg.items()} == MAIN_MIOU
    assert seg[1].perturbed['IoU_malignant'] == PERTURBED_MIOU[1] + 2
    assert sorted(unpaired) == ['cls hard-tail ce_crt seed 7: no main run to pair with',
                                'cls natural ce_crt seed 3: the main run has other settings']


def test_noise_floor_numbers_and_pages(results):
    data = noise_floor.write(results)
    assert data == read_json(osp.join(results, 'noise_floor.json'))
    groups = data['perturbations']['threads2']['noise']['cls']['ce_crt']['groups']
    hard = [PERTURBED_ACC[k] - MAIN_ACC[k] for k in sorted(MAIN_ACC) if k[0] == 'hard-tail']
    both = [PERTURBED_ACC[k] - MAIN_ACC[k] for k in sorted(MAIN_ACC)]
    assert groups['hard-tail']['acc']['diffs'] == pytest.approx(hard)
    assert groups['all']['acc']['n'] == 6 and groups['all']['acc']['identical'] == 1
    expected = power.summarise(both, 5, 2.0)
    assert {k: groups['all']['acc'][k] for k in expected} == pytest.approx(expected)
    assert groups['all']['acc']['mde'] == pytest.approx(power.mde(np.std(both, ddof=1), 5))
    seg = data['perturbations']['threads2']['noise']['seg']['ce']['groups']['all']
    assert seg['mIoU']['diffs'] == pytest.approx([3.0, -1.0, 0.5])
    assert data['between'] == []  # no cls_results.json / seg_results.json in this folder
    md = open(osp.join(results, 'noise_floor.md'), encoding='utf-8').read()
    assert '| ACC | both (pooled) | 6 | 1 |' in md and 'no main run to pair with' in md
    assert f'resolves **{groups["all"]["acc"]["mde"]:.2f} points** at 5 paired seeds' in md


def test_between_methods_come_from_the_committed_pages():
    data = noise_floor.collect(osp.join(REPO, 'docs', 'results'))
    rows = {(r['benchmark'], r['group'], r['baseline'], r['metric']): r for r in data['between']}
    cls = read_json(osp.join(REPO, 'docs', 'results', 'cls_results.json'))['tables']['natural']
    ours, base = cls[plan.BDCL_METHOD]['metrics']['acc'], cls['scl_crt']['metrics']['acc']
    row = rows[('cls', 'natural', cls['scl_crt']['label'], 'acc')]
    diffs = [a - b for a, b in zip(ours['values'], base['values'])]
    assert row['mean'] == pytest.approx(sum(diffs) / len(diffs))
    assert row['mde'] == pytest.approx(power.mde(row['sd'], len(diffs)))
    assert any(k[0] == 'seg' and k[3] == 'mIoU' for k in rows)


def test_the_committed_noise_floor_matches_the_committed_runs():
    results = osp.join(REPO, 'docs', 'results')
    assert noise_floor.collect(results) == read_json(osp.join(results, 'noise_floor.json')), (
        'run: python benchmarks/noise_floor.py')
    with open(osp.join(results, 'noise_floor.md'), encoding='utf-8') as f:
        assert f.read() == noise_floor.markdown(noise_floor.collect(results))


def test_perturb_option_sets_settings_paths_and_subprocess_env(tmp_path, monkeypatch):
    args = parse_args(['--perturb', 'threads2', '--methods', 'ce_crt'])
    settings = settings_of(args)
    assert settings.perturb == 'threads2' and args.work_dir.endswith(osp.join('benchmarks',
                                                                             'cls_threads2'))
    assert parse_args([]).work_dir.endswith(osp.join('benchmarks', 'cls'))
    calls = []

    def recorder(cmd, log, device, stderr_path=None, env=None):
        calls.append(dict(cmd=cmd, env=env))
        return 1, 0.0  # stop before training

    monkeypatch.setattr(cls_runs, 'run_logged', recorder)
    data_dir = str(tmp_path / 'data')
    root = plan.data_root(data_dir, 'hard-tail', settings)
    write_json(osp.join(root, 'meta', 'split_info.json'), {'train_counts': [1] * 10})
    paths = dict(work=args.work_dir, data=data_dir,
                 results=perturbation.runs_root(str(tmp_path / 'r'), 'threads2'))
    with pytest.raises(cls_runs.RunFailed):
        cls_runs.run_method('ce_crt', 'hard-tail', 0, settings, paths, 'cpu')
    assert calls[-1]['env'] == {'OMP_NUM_THREADS': '2', 'MKL_NUM_THREADS': '2'}
    assert 'cls_threads2' in ' '.join(calls[-1]['cmd'])

    seg_args = seg_benchmark.parse_args(['--perturb', 'threads2', '--methods', 'ce'])
    assert seg_args.work_dir.endswith(osp.join('benchmarks', 'seg_threads2'))
    monkeypatch.setattr(seg_benchmark, 'run_logged', recorder)
    s = seg_benchmark.SegSettings(perturb='threads2')
    seg_root = osp.join(data_dir, f'tui_synth_{s.size}px_{s.num_train}+{s.num_val}_s0')
    write_json(osp.join(seg_root, 'synthetic_us.json'), {})
    with pytest.raises(seg_benchmark.RunFailed):
        seg_benchmark.run_one('ce', 0, s, dict(work=str(tmp_path / 'w'), data=data_dir,
                                               results=str(tmp_path / 'r')), 'cpu')
    assert calls[-1]['env'] == {'OMP_NUM_THREADS': '2', 'MKL_NUM_THREADS': '2'}


@pytest.mark.parametrize('name, threads', [(None, '1'), ('threads2', '2')])
def test_the_subprocess_runs_torch_with_the_perturbation_threads(tmp_path, monkeypatch, name,
                                                                 threads):
    monkeypatch.setenv('OMP_NUM_THREADS', '1')
    monkeypatch.setenv('MKL_NUM_THREADS', '1')
    log = str(tmp_path / 'threads.log')
    code, _ = run_logged([sys.executable, '-c', 'import torch; print(torch.get_num_threads())'],
                         log, 'cpu', env=perturbation.env_of(name))
    assert code == 0
    assert open(log, encoding='utf-8').read().splitlines()[-1] == threads


def test_a_perturbed_sweep_does_not_rewrite_the_main_pages(results):
    from benchmarks import cls_benchmark
    before = os.listdir(results)
    assert cls_benchmark.main(['--perturb', 'threads2', '--aggregate-only', '--results-dir',
                               results]) == 0
    assert seg_benchmark.main(['--perturb', 'threads2', '--aggregate-only', '--results-dir',
                               results]) == 0
    after = set(os.listdir(results)) - set(before)
    assert after == {'noise_floor.json', 'noise_floor.md'}
    assert json.load(open(osp.join(results, 'noise_floor.json')))['perturbations']['threads2'][
        'pairs'] == 9
