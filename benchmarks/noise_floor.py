"""The benchmarks' noise floor and the smallest paired difference each resolves.

    python benchmarks/noise_floor.py [--results-dir docs/results] [--target 2]

A method re-run under a harmless perturbation (``benchmarks/perturbation.py``: ``--perturb`` of
``cls_benchmark.py`` / ``seg_benchmark.py``) is paired with its committed main run of the same
method, class order and seed. Each pair's difference ``perturbed - main`` is the difference of two
runs of one method: no method effect, only the run-to-run spread that a perturbation of the last
float bits sets off. Its sd is therefore directly the sd of a paired difference under no effect,
the ``sd`` of ``benchmarks/power.py``'s MDE formula, and gives the smallest difference between two
methods that the benchmark's paired seeds resolve (80% power, two-sided 95% level). For
comparison the same is computed from the committed between-method paired differences (BDCL minus
each baseline), whose sd holds that spread plus any seed-by-method interaction.
Writes ``RESULTS/noise_floor.{json,md}``.
"""
import argparse
import glob
import os.path as osp
import statistics
import sys
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

if __package__ in (None, ''):
    sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
    __package__ = 'benchmarks'  # noqa: A001

from benchmarks import cls_plan as plan  # noqa: E402
from benchmarks import perturbation, power  # noqa: E402
from benchmarks.common import (RESULTS_DIR, markdown_table, read_json, write_json,  # noqa: E402
                               write_text)

#: Classification metrics (run JSON ``metrics`` keys) and their labels.
CLS_METRICS = {m: plan.METRIC_LABELS[m] for m in ('acc', 'gmean', 'f1', 'iba_0.1',
                                                  'few_shot_acc')}
SEG_CLASSES = ('background', 'benign', 'malignant')
#: Segmentation metrics (``seg_results.json`` row keys) and their labels.
SEG_METRICS = dict([('mIoU', 'mIoU')] + [(f'IoU_{c}', f'IoU {c}') for c in SEG_CLASSES])
#: Paired seeds of one comparison in both benchmarks (``--seeds`` default 0-4).
N_SEEDS = len(plan.DEFAULT_SEEDS)
#: The paper's margins over its rivals are 0.5-2.5 points; the difference to resolve.
TARGET = 2.0
#: (benchmark, the BDCL row, its baselines) of the between-method comparison.
BETWEEN = (('cls', plan.BDCL_METHOD, plan.BASELINES), ('seg', 'bdcl', ('ce', 'scl')))
BENCHMARK_NAMES = {'cls': 'classification (Fashion-MNIST-LT)',
                   'seg': 'segmentation (synthetic thyroid ultrasound)'}
ALL = 'all'


@dataclass(frozen=True)
class Pair:
    """A perturbed run and the main run of the same method, group (class order) and seed."""
    benchmark: str
    method: str
    label: str
    group: str
    seed: int
    perturbed: Dict[str, float]
    main: Dict[str, float]


def cls_metrics(run: dict) -> Dict[str, float]:
    """The noise-floor metrics of a classification method run JSON."""
    return {m: float(run['metrics'][m]) for m in CLS_METRICS if m in run.get('metrics', {})}


def seg_metrics(run: dict) -> Dict[str, float]:
    """mIoU and IoU per class of a segmentation run JSON."""
    out = {'mIoU': float(run['mIoU'])}
    for c in SEG_CLASSES:
        value = (run.get('per_class') or {}).get(c, {}).get('IoU')
        if value is not None:
            out[f'IoU_{c}'] = float(value)
    return out


def _perturbed_files(results_dir: str, name: str) -> List[Tuple[str, str, str]]:
    """(benchmark, perturbed path, main path) of every perturbed run JSON of ``name``."""
    root = perturbation.runs_root(results_dir, name)
    out = []
    for path in sorted(glob.glob(osp.join(root, 'runs', 'cls', '*', '*.json'))):
        order = osp.basename(osp.dirname(path))
        out.append(('cls', path, osp.join(results_dir, 'runs', 'cls', order, osp.basename(path))))
    for path in sorted(glob.glob(osp.join(root, 'runs', 'seg', '*.json'))):
        out.append(('seg', path, osp.join(results_dir, 'runs', 'seg', osp.basename(path))))
    return out


def pair_runs(results_dir: str, name: str) -> Tuple[List[Pair], List[str]]:
    """Pair every perturbed run of ``name`` with its main run.

    A perturbed run pairs with the main run JSON at the same place under ``RESULTS/runs`` when
    that run's settings key equals the perturbed settings without ``perturb``. Stage-1 records of
    the classification benchmark are skipped (their method runs hold the final metrics).

    Returns:
        tuple[list[Pair], list[str]]: the pairs, and why each other perturbed run is unpaired.
    """
    pairs, unpaired = [], []
    for benchmark, path, main_path in _perturbed_files(results_dir, name):
        run = read_json(path)
        kind = 'method' if benchmark == 'cls' else 'seg'
        if run.get('kind') != kind:
            continue
        where = f'{benchmark} {run.get("order", "")} {run.get("method")} seed {run.get("seed")}'
        where = ' '.join(where.split())
        if run.get('settings', {}).get('perturb') != name:
            unpaired.append(f'{where}: its settings do not say perturb={name!r}')
            continue
        if not osp.isfile(main_path):
            unpaired.append(f'{where}: no main run to pair with')
            continue
        main = read_json(main_path)
        if main.get('settings_key') != perturbation.unperturbed_key(run['settings']):
            unpaired.append(f'{where}: the main run has other settings')
            continue
        read = cls_metrics if benchmark == 'cls' else seg_metrics
        pairs.append(Pair(benchmark, run['method'], run.get('label', run['method']),
                          run.get('order', ALL), int(run['seed']), read(run), read(main)))
    return pairs, unpaired


def noise_table(pairs: List[Pair], n_seeds: int = N_SEEDS, target: float = TARGET) -> dict:
    """``{benchmark: {method: {group: {metric: summary}}}}`` of the pairs' differences
    ``perturbed - main`` (:func:`benchmarks.power.summarise`, plus the ``seeds`` and ``diffs``);
    group ``'all'`` pools the class orders. Groups with fewer than 2 pairs are left out."""
    out: Dict[str, dict] = {}
    for benchmark in sorted({p.benchmark for p in pairs}):
        metrics = CLS_METRICS if benchmark == 'cls' else SEG_METRICS
        for method in sorted({p.method for p in pairs if p.benchmark == benchmark}):
            mine = [p for p in pairs if (p.benchmark, p.method) == (benchmark, method)]
            groups = sorted({p.group for p in mine})
            entry = {}
            for group in groups + ([ALL] if len(groups) > 1 else []):
                chosen = [p for p in mine if group in (ALL, p.group)]
                cells = {}
                for metric in metrics:
                    both = [p for p in chosen if metric in p.perturbed and metric in p.main]
                    if len(both) < 2:
                        continue
                    diffs = [p.perturbed[metric] - p.main[metric] for p in both]
                    cells[metric] = dict(power.summarise(diffs, n_seeds, target),
                                         seeds=[[p.group, p.seed] for p in both], diffs=diffs)
                if cells:
                    entry[group] = cells
            if entry:
                out.setdefault(benchmark, {})[method] = dict(label=mine[0].label, groups=entry)
    return out


def _aligned(row: dict, key: str) -> Optional[Dict[int, float]]:
    """``{seed: value}`` of a results row's metric, or None when values and seeds do not align."""
    values = row['metrics'][key]['values'] if 'metrics' in row else row.get(key)
    if values is None or len(values) != len(row['seeds']):
        return None
    return dict(zip(row['seeds'], values))


def between_table(results_dir: str, target: float = TARGET) -> List[dict]:
    """The committed between-method paired differences (BDCL minus each baseline) of
    ``cls_results.json`` and ``seg_results.json``: per benchmark, group, baseline and metric the
    summary of :func:`benchmarks.power.summarise` at the comparison's own number of seeds."""
    out = []
    for benchmark, ours, baselines in BETWEEN:
        path = osp.join(results_dir, f'{benchmark}_results.json')
        if not osp.isfile(path):
            continue
        data = read_json(path)
        tables = data['tables'] if benchmark == 'cls' else {ALL: data['rows']}
        metrics = CLS_METRICS if benchmark == 'cls' else SEG_METRICS
        for group, rows in tables.items():
            for base in baselines:
                if ours not in rows or base not in rows:
                    continue
                for metric in metrics:
                    a, b = _aligned(rows[ours], metric), _aligned(rows[base], metric)
                    seeds = sorted(set(a or {}) & set(b or {}))
                    if len(seeds) < 2:
                        continue
                    diffs = [a[s] - b[s] for s in seeds]
                    out.append(dict(power.summarise(diffs, len(seeds), target),
                                    benchmark=benchmark, group=group, ours=rows[ours]['label'],
                                    baseline=rows[base]['label'], metric=metric, seeds=seeds))
    return out


def collect(results_dir: str, target: float = TARGET) -> dict:
    """Everything of the noise-floor page, for every perturbation in ``PERTURBATIONS``."""
    perturbations = {}
    for name, p in perturbation.PERTURBATIONS.items():
        pairs, unpaired = pair_runs(results_dir, name)
        perturbations[name] = dict(description=p.description, env=p.env(),
                                   noise=noise_table(pairs, N_SEEDS, target), unpaired=unpaired,
                                   pairs=len(pairs))
    return dict(alpha=power.ALPHA, power=power.POWER, n_seeds=N_SEEDS, target=target,
                perturbations=perturbations, between=between_table(results_dir, target))


def _label(benchmark: str, metric: str) -> str:
    return (CLS_METRICS if benchmark == 'cls' else SEG_METRICS)[metric]


def _group(benchmark: str, group: str) -> str:
    if group != ALL:
        return group
    return 'both (pooled)' if benchmark == 'cls' else '—'



def _needed(n: Optional[int]) -> str:
    return '> 10000' if n is None else str(n)


def headline(data: dict) -> List[str]:
    """One line per benchmark: the resolvable difference of its first metric (ACC, mIoU) from
    the noise floor (every class order pooled), or from the between-method spread where no
    perturbed run is paired yet."""
    lines = []
    for benchmark in BENCHMARK_NAMES:
        metric = next(iter(CLS_METRICS if benchmark == 'cls' else SEG_METRICS))
        found = None
        for name, entry in data['perturbations'].items():
            for method in entry['noise'].get(benchmark, {}).values():
                group = method['groups'].get(ALL) or next(iter(method['groups'].values()))
                if metric in group:
                    found = (f'the noise floor: {method["label"]} re-run with `{name}`, '
                             f'{group[metric]["n"]} pairs', group[metric])
                    break
            if found:
                break
        if found is None:
            rows = [r for r in data['between'] if r['benchmark'] == benchmark
                    and r['metric'] == metric]
            if not rows:
                continue
            sd = statistics.median(r['sd'] for r in rows)
            found = (f'no perturbed run yet, so the median over the {len(rows)} '
                     'between-method comparisons, BDCL minus each baseline',
                     dict(sd=sd, mde=power.mde(sd, data['n_seeds']),
                          seeds_for_target=power.seeds_needed(sd, data['target'])))
        what, s = found
        lines.append(f'- {BENCHMARK_NAMES[benchmark]}, {_label(benchmark, metric)}: sd of a '
                     f'paired difference {s["sd"]:.2f} points ({what}); resolves '
                     f'**{s["mde"]:.2f} points** at {data["n_seeds"]} paired seeds (80% power, '
                     f'95% level); {data["target"]:g} points need {_needed(s["seeds_for_target"])} '
                     'seeds.')
    return lines


def markdown(data: dict) -> str:
    n, target = data['n_seeds'], data['target']
    lines = [
        '# Noise floor of the benchmarks (generated by `benchmarks/noise_floor.py`; do not edit)',
        '',
        'How large a difference between two methods can the CPU benchmarks resolve? One method '
        'is re-run, same settings, class order and seed, under a harmless perturbation, and each '
        're-run is paired with its committed run. A pair\'s difference (perturbed minus main) '
        'is a difference of two runs of the same method: no method effect, only the spread that '
        'a change of the last float bits sets off in training. Its standard deviation `sd` is '
        'therefore directly the sd of a paired difference between two methods that do not '
        'differ, and gives the smallest true difference that a paired comparison over `n` seeds '
        'resolves with 80% power at the two-sided 95% level:', '',
        '    MDE = (t_{0.975, n-1} + t_{0.80, n-1}) * sd / sqrt(n)', '',
        f'The tables give it at the benchmarks\' n = {n} paired seeds, with the MDE at both ends '
        'of the 95% chi-square interval of `sd` (few pairs pin `sd` down loosely), and the '
        f'number of seeds that resolves {target:g} points (the paper\'s margins are 0.5-2.5 '
        'points). Values x100 (points). Read a paired difference smaller than its MDE as not '
        'resolved: the benchmark would miss such an effect more often than 1 time in 5. '
        f'(The formula is the t approximation; at n = {n} a true difference of one MDE is found '
        f'with probability {power.power_at(power.mde(1.0, n), 1.0, n):.3f} by the exact '
        'non-central t.)', ''
    ]
    lines += headline(data) + ['']
    for name, entry in data['perturbations'].items():
        lines += [f'## Perturbation `{name}`', '', f'Each re-run uses {entry["description"]}', '']
        if not entry['noise']:
            state = (f'{entry["pairs"]} perturbed runs are paired, fewer than 2 per method and '
                     'order' if entry['pairs'] else 'No perturbed run is paired yet')
            lines += [f'{state}. Run:', '',
                      f'    python benchmarks/cls_benchmark.py --perturb {name} --methods ce_crt '
                      '--orders hard-tail,natural --seeds 0,1,2,3,4',
                      f'    python benchmarks/seg_benchmark.py --perturb {name} --methods ce '
                      '--seeds 0,1,2,3,4', '']
        header = ['metric', 'order', 'pairs', 'identical', 'mean diff', 'sd (95% interval)',
                  f'MDE at {n} seeds (interval)', f'seeds for {target:g} points']
        for benchmark, methods in entry['noise'].items():
            for method in methods.values():
                body = []
                for group, cells in method['groups'].items():
                    for metric, s in cells.items():
                        body.append([_label(benchmark, metric),
                                     _group(benchmark, group), str(s['n']),
                                     str(s['identical']), f'{s["mean"]:+.2f}',
                                     f'{s["sd"]:.2f} [{s["sd_low"]:.2f}, {s["sd_high"]:.2f}]',
                                     f'{s["mde"]:.2f} [{s["mde_low"]:.2f}, {s["mde_high"]:.2f}]',
                                     _needed(s['seeds_for_target'])])
                lines += [f'### {BENCHMARK_NAMES[benchmark]}: {method["label"]}', '',
                          markdown_table(header, body), '']
                if all(s['identical'] == s['n'] for c in method['groups'].values()
                       for s in c.values()):
                    lines += ['Every pair is identical: this perturbation did not change the '
                              'arithmetic of these runs, so it measures no spread.', '']
        if entry['unpaired']:
            lines += ['Unpaired perturbed runs:', ''] + [f'- {u}' for u in entry['unpaired']]
            lines += ['']
    lines += ['## Between methods, for comparison', '',
              'The same computation on the committed paired differences BDCL minus each baseline '
              '(the results pages\' verdicts), at each comparison\'s own number of seeds. Their '
              'sd holds the run-to-run spread above plus any seed-by-method interaction, and '
              'any real effect that varies between seeds.', '']
    header = ['benchmark', 'order', 'difference', 'metric', 'seeds', 'mean diff',
              'sd (95% interval)', 'MDE at these seeds', f'seeds for {target:g} points']
    body = [[r['benchmark'], _group(r['benchmark'], r['group']),
             f'{r["ours"]} minus {r["baseline"]}', _label(r['benchmark'], r['metric']),
             str(r['n']), f'{r["mean"]:+.2f}',
             f'{r["sd"]:.2f} [{r["sd_low"]:.2f}, {r["sd_high"]:.2f}]', f'{r["mde"]:.2f}',
             _needed(r['seeds_for_target'])] for r in data['between']]
    lines += [markdown_table(header, body) if body else 'No between-method comparison yet.', '']
    lines += ['## Reproduce', '',
              '    OMP_NUM_THREADS=1 python benchmarks/cls_benchmark.py --perturb threads2 '
              '--methods ce_crt --orders hard-tail,natural --seeds 0,1,2,3,4',
              '    OMP_NUM_THREADS=1 python benchmarks/seg_benchmark.py --perturb threads2 '
              '--methods ce --seeds 0,1,2,3,4',
              '    python benchmarks/noise_floor.py   # this page from the run JSONs', '']
    return '\n'.join(lines)


def write(results_dir: str = RESULTS_DIR, target: float = TARGET) -> dict:
    """Collect and write ``RESULTS/noise_floor.{json,md}`` (atomically); return the data."""
    data = collect(results_dir, target)
    write_json(osp.join(results_dir, 'noise_floor.json'), data)
    write_text(osp.join(results_dir, 'noise_floor.md'), markdown(data))
    return data


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--results-dir', default=RESULTS_DIR)
    p.add_argument('--target', type=float, default=TARGET,
                   help='the difference (points) whose number of seeds is reported')
    args = p.parse_args(argv)
    if not args.target > 0:
        p.error('--target must be > 0')
    data = write(args.results_dir, args.target)
    for line in headline(data):
        print(line)
    return 0


if __name__ == '__main__':
    sys.exit(main())
