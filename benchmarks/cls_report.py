"""Aggregate the classification runs into ``cls_results.{json,md}``, ``tdl_rule.md`` and figures.

Only result files whose settings match the requested ones are used; whatever of the planned
matrix (methods x orders x seeds) has no result is listed as not run.
"""
import glob
import math
import os.path as osp
from typing import Dict, List, Optional, Sequence

from . import cls_plan as plan
from .ablation import AblationEntry, ablation_lines
from .common import (fmt_paired, markdown_table, mean_std, new_figure, paired_difference,
                     read_json, spearman)

HEAD_TAIL_K = 3


def load_results(results_dir: str, settings: plan.Settings, kind: str) -> List[dict]:
    """Result JSONs of ``kind`` ('method' or 'stage1') written with ``settings``."""
    found = []
    for path in sorted(glob.glob(osp.join(results_dir, 'runs', 'cls', '*', '*.json'))):
        data = read_json(path)
        if data.get('kind') == kind and data.get('settings_key') == settings.key():
            found.append(data)
    return found


def summarise(values: Sequence[float]) -> dict:
    mean, std = mean_std(values)
    return {'mean': mean, 'std': std, 'n': len(values), 'values': list(values)}


def table_data(methods: List[dict]) -> Dict[str, Dict[str, dict]]:
    """``{order: {method: {'seeds': [...], 'metrics': {metric: summary}}}}``."""
    out: Dict[str, Dict[str, dict]] = {}
    for order in plan.ORDERS:
        rows = {}
        for method in plan.METHODS:
            runs = sorted((r for r in methods if r['order'] == order and r['method'] == method),
                          key=lambda r: r['seed'])
            if not runs:
                continue
            metrics = {
                m: summarise([r['metrics'][m] for r in runs])
                for m in plan.METRICS if all(m in r['metrics'] for r in runs)
            }
            rows[method] = {'label': plan.METHODS[method].label,
                            'seeds': [r['seed'] for r in runs], 'metrics': metrics,
                            'wall_s': [sum(r['wall_s'].values()) for r in runs]}
        if rows:
            out[order] = rows
    return out


#: The baselines BDCL's paired differences are reported against.
PAIRED_BASELINES = ('ce_crt', 'scl_crt', 'focal', 'ldam_drw', 'gcl', 'tsc_crt', 'bal_mixup')


def verdict(rows: Dict[str, dict], settings: Optional[plan.Settings] = None) -> dict:
    """BDCL + cRT minus each of ``PAIRED_BASELINES`` that ran (CE + cRT, SCL + cRT and the
    paper's rivals), per verdict metric, over paired seeds.

    Without a BDCL + cRT row the status says why: in a run that sets ``--tdl-lr`` (the step size
    of the gradient rules) the default rule does not take it, so that run has no row of its own.
    """
    if plan.BDCL_METHOD not in rows:
        rule = plan.bdcl_loss_default('tdl')
        if settings is not None and 'tdl_lr' in settings.extra and \
                rule not in plan.GRADIENT_RULES:
            return {'status': (
                f'{plan.METHODS[plan.BDCL_METHOD].label} is not part of this run: it varies '
                f'`--tdl-lr`, the step size of the gradient rules '
                f'({", ".join(plan.GRADIENT_RULES)}), and the default rule `{rule}` does not '
                'take `--tdl-lr` as a gradient step (its own `tdl_lr` is the time constant of '
                'its step in log tau and keeps the config\'s value), so its row would repeat '
                'the run of the same schedule without `--tdl-lr`, which holds its verdict')}
        return {'status': f'{plan.METHODS[plan.BDCL_METHOD].label} not run'}
    baselines = [b for b in PAIRED_BASELINES if b in rows]
    if not baselines:
        return {'status': 'no baseline in this run (a comparison of BDCL variants)'}
    ours = rows[plan.BDCL_METHOD]
    per_metric = {}
    for metric in plan.VERDICT_METRICS:
        if metric not in ours['metrics']:
            continue
        mine = dict(zip(ours['seeds'], ours['metrics'][metric]['values']))
        per_metric[metric] = {
            b: paired_difference(mine, dict(zip(rows[b]['seeds'],
                                                rows[b]['metrics'][metric]['values'])))
            for b in baselines if metric in rows[b]['metrics']
        }
    return {'status': 'compared', 'baselines': baselines, 'metrics': per_metric}


def paired_table(result: dict) -> str:
    """Markdown table of BDCL's paired differences (mean [95% interval]) to each baseline."""
    header = ['metric'] + [f'BDCL − {plan.METHODS[b].label}' for b in result['baselines']]
    body = []
    for metric, diffs in result['metrics'].items():
        cells = []
        for b in result['baselines']:
            d = diffs.get(b)
            cells.append('—' if d is None else f'{fmt_paired(d)} ({d["n"]} seeds): {d["verdict"]}')
        body.append([plan.METRIC_LABELS[metric]] + cells)
    return markdown_table(header, body)


def verdict_text(order: str, result: dict) -> str:
    if result.get('status') != 'compared':
        return f'- **{order}**: {result.get("status")}; no verdict.'
    ours = plan.METHODS[plan.BDCL_METHOD].label
    compared = [(metric, base, d) for metric, diffs in result['metrics'].items()
                for base, d in diffs.items() if d is not None]
    verdicts = [d['verdict'] for _, _, d in compared]
    if not verdicts:
        return f'- **{order}**: fewer than 2 paired seeds; no verdict.'
    wins, losses = verdicts.count('beats'), verdicts.count('worse')
    total = len(verdicts)
    shown = [f'{d["verdict"]} {plan.METHODS[base].label} on {plan.METRIC_LABELS[metric]} '
             f'({fmt_paired(d)})'
             for metric, base, d in compared if d['verdict'] in ('beats', 'worse')]
    named = f': {"; ".join(shown)}' if shown else ''
    return (f'- **{order}**: {ours} minus each baseline, paired by seed, 95% interval: it '
            f'**beats** the baseline in {wins} of {total} comparisons, is **worse** in {losses}, '
            f'and shows no difference in {total - wins - losses}{named}.')


#: Metric columns of the ablation table.
ABLATION_COLUMNS = ('acc', 'gmean', 'f1', 'iba_0.1', 'few_shot_acc')


def ablation_entries(rows: Dict[str, dict]) -> List[AblationEntry]:
    """The rows of :data:`cls_plan.ABLATION_METHODS` (a method without runs: no values), their
    switches read from their stage-1 configs."""
    entries = []
    for name, method in plan.ABLATION_METHODS.items():
        key, row = plan.METHODS[method].stage1, rows.get(method)
        values = {} if row is None else {
            plan.METRIC_LABELS[m]: dict(zip(row['seeds'], row['metrics'][m]['values']))
            for m in ABLATION_COLUMNS if m in row['metrics']}
        entries.append(AblationEntry(name, plan.METHODS[method].label, plan.stage1_tdl(key),
                                     plan.stage1_prototypes(key), values))
    return entries


def ablation_markdown(rows: Dict[str, dict]) -> List[str]:
    """The captioned ablation table of one class order (empty without the full method)."""
    return ablation_lines(ablation_entries(rows), [plan.METRIC_LABELS[m] for m in ABLATION_COLUMNS],
                          plan.METRIC_LABELS['gmean'], plan.bdcl_loss_default('tdl'))


def temperature_summary(stage1: List[dict]) -> Dict[str, Dict[str, dict]]:
    """``{order: {rule: {...}}}``: final temperature per class against the training count."""
    out: Dict[str, Dict[str, dict]] = {}
    for order in plan.ORDERS:
        for key in plan.STAGE1:
            tdl = plan.stage1_tdl(key)
            if tdl in (None, 'none') or key == 'bdcl_wo_hep':
                continue
            runs = [r for r in stage1 if r['order'] == order and r['key'] == key
                    and r.get('temperatures')]
            if not runs:
                continue
            counts = runs[0]['train_counts']
            taus = [r['temperatures'] for r in runs]
            per_class = [summarise([t[c] for t in taus]) for c in range(len(counts))]
            ranked = sorted(range(len(counts)), key=lambda c: counts[c])
            tail, head = ranked[:HEAD_TAIL_K], ranked[-HEAD_TAIL_K:]
            rhos = [spearman(counts, t) for t in taus]
            head_tau = [sum(t[c] for c in head) / len(head) for t in taus]
            tail_tau = [sum(t[c] for c in tail) / len(tail) for t in taus]
            out.setdefault(order, {})[tdl] = {
                'stage1': key,
                'seeds': [r['seed'] for r in runs],
                'classes': read_json_classes(runs[0]),
                'train_counts': counts,
                'tau': per_class,
                'spearman_count_tau': summarise([r for r in rhos if not math.isnan(r)] or [0.0]),
                'head_mean_tau': summarise(head_tau),
                'tail_mean_tau': summarise(tail_tau),
                'head_hotter_than_tail': all(h > t for h, t in zip(head_tau, tail_tau)),
                'hook_history': runs[0].get('temperature_history'),
            }
    return out


def read_json_classes(run: dict) -> List[str]:
    history = run.get('temperature_history') or {}
    names = list((history.get('temperatures') or {}).keys())
    return names or [str(c) for c in range(len(run['train_counts']))]


def convergence(stage1: List[dict]) -> Dict[str, Dict[str, dict]]:
    """Per order and stage-1 key: relative fall of the training loss over the last quarter."""
    out: Dict[str, Dict[str, dict]] = {}
    for run in stage1:
        losses = [v for v in run['curves']['train'].get('loss', []) if v is not None]
        if len(losses) < 8:
            continue
        n = len(losses)
        q3 = sum(losses[int(0.65 * n):int(0.75 * n)]) / max(1, int(0.75 * n) - int(0.65 * n))
        end = sum(losses[int(0.9 * n):]) / max(1, n - int(0.9 * n))
        val = run['curves']['val'].get('gmean') or []
        entry = out.setdefault(run['order'], {}).setdefault(run['key'], {'drop': [], 'val': []})
        entry['drop'].append(100.0 * (q3 - end) / abs(q3) if q3 else 0.0)
        if len(val) >= 2:
            entry['val'].append(val[-1] - val[-2])
    return out


def plot_curves(stage1: List[dict], order: str, path: str) -> Optional[str]:
    runs = [r for r in stage1 if r['order'] == order]
    if not runs:
        return None
    figure, (ax_loss, ax_val) = new_figure(11, 4, ncols=2)
    for key in plan.STAGE1:
        mine = sorted((r for r in runs if r['key'] == key), key=lambda r: r['seed'])
        if not mine:
            continue
        for i, run in enumerate(mine):
            train, val = run['curves']['train'], run['curves']['val']
            label = key if i == 0 else None
            iters = train['iter']
            epochs = [e for e in train['epoch'] if e] or [run['settings']['epochs_stage1']]
            per_epoch = max(iters) / max(epochs)
            color = f'C{list(plan.STAGE1).index(key)}'
            ax_loss.plot([it / per_epoch for it in iters], train['loss'], color=color, alpha=0.7,
                         label=label)
            ax_val.plot(val['epoch'], val['gmean'], marker='o', color=color, alpha=0.7,
                        label=label)
    ax_loss.set(xlabel='epoch', ylabel='training loss', title=f'stage 1 loss ({order})')
    ax_val.set(xlabel='epoch', ylabel='G-mean (x100)',
               title='stage-1 validation (CE head / detached linear probe)')
    for ax in (ax_loss, ax_val):
        ax.grid(alpha=0.3)
        ax.legend(fontsize='small')
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    return path


def plot_temperatures(temps: Dict[str, dict], order: str, path: str) -> Optional[str]:
    if not temps:
        return None
    figure, (ax, ) = new_figure(6.5, 4)
    for i, (rule, t) in enumerate(sorted(temps.items())):
        counts = t['train_counts']
        means = [c['mean'] for c in t['tau']]
        stds = [c['std'] for c in t['tau']]
        ax.errorbar(counts, means, yerr=stds, fmt='o', color=f'C{i}', capsize=3,
                    label=f'{rule} (Spearman {t["spearman_count_tau"]["mean"]:+.2f})')
    ax.set_xscale('log')
    ax.set(xlabel='training images of the class', ylabel='final temperature',
           title=f'TDL: final temperature per class ({order})')
    ax.grid(alpha=0.3)
    ax.legend(fontsize='small')
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    return path
