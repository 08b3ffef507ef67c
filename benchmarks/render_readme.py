"""Render the results pages from the results files in docs/results (never by hand).

    python benchmarks/render_readme.py [--readme README.md] [--results-md docs/results.md]
                                       [--results-dir docs/results] [--check]

Two blocks, each between its own markers: the full results (every run, table, figure and
reproduce command) between ``<!-- results:start -->`` and ``<!-- results:end -->`` of
``docs/results.md``, and one compact table per task between ``<!-- results-summary:start -->``
and ``<!-- results-summary:end -->`` of ``README.md``; the rest of both files is left as it is.
Inputs: ``cls_results.json``, ``seg_results.json`` (and those of the ``cls_*`` / ``seg_*``
sub-folders that hold one: other schedules), ``tdl_long_horizon.json``, ``cost_seg_step.md``,
``cost_rival_{seg,cls}_step.md``, ``cost_loss.md``, ``cost_surface_metric.md`` and the figures
they name; a missing file is reported as not run. ``--check`` exits 1 when either block is stale.
"""
import argparse
import glob
import os.path as osp
import re
import sys
from typing import List, Optional

if __package__ in (None, ''):
    sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
    __package__ = 'benchmarks'  # noqa: A001

from benchmarks import cls_plan as plan  # noqa: E402
from benchmarks import paper_figures  # noqa: E402
from benchmarks.cls_report import ablation_markdown, paired_table, verdict_text  # noqa: E402
from benchmarks.common import (RESULTS_DIR, REPO_ROOT, fmt_mean_std, markdown_table,  # noqa
                               read_json, write_text)
from benchmarks.seg_benchmark import hd95_cells  # noqa: E402

START, END = '<!-- results:start -->', '<!-- results:end -->'
SUMMARY_START, SUMMARY_END = '<!-- results-summary:start -->', '<!-- results-summary:end -->'
PAPER_CLS = {'ACC': 84.57, 'G-mean': 84.96, 'F1': 76.59, 'IBA0.1': 70.92}
PAPER_SEG_MIOU = paper_figures.PAPER_SEG['BDCL']
TAU_INIT = 0.1  # the configs' tau_init, from which the temperature moves are measured
DOCS_DIR = osp.join(REPO_ROOT, 'docs')
CLS_COLUMNS = ('acc', 'gmean', 'f1', 'iba_0.1', 'iba_1', 'many_shot_acc', 'few_shot_acc')
RESULTS_MD = osp.join(DOCS_DIR, 'results.md')
# The README's compact classification table: the baselines of the verdict and the default BDCL.
SUMMARY_CLS_METHODS = ('ce', 'ce_crt', 'focal', 'ldam_drw', 'tsc_crt', 'bal_mixup', 'gcl', 'scl_crt',
                       'bdcl_balance_crt')
SUMMARY_CLS_COLUMNS = ('acc', 'gmean', 'f1', 'iba_0.1', 'few_shot_acc')
SEG_CLASSES = ('background', 'benign', 'malignant')


def _link(results_dir: str, readme_dir: str, name: str) -> str:
    return osp.relpath(osp.join(results_dir, name), readme_dir).replace(osp.sep, '/')


def cls_section(results_dir: str, readme_dir: str) -> List[str]:
    path = osp.join(results_dir, 'cls_results.json')
    if not osp.isfile(path):
        return ['**Classification:** not run (no `cls_results.json`).', '']
    data = read_json(path)
    s = plan.Settings(**data['settings'])
    tdl = f', tdl_lr {s.tdl_lr():g}' if 'tdl_lr' in s.extra else ''
    out = [
        f'### Classification: Fashion-MNIST-LT (real images, CPU-sized, {s.epochs_stage1}-epoch '
        f'stage 1{tdl})', '',
        f'Imbalance ratio {s.ratio:g}, head class {s.n_max} training images, balanced test set '
        f'({s.test_per_class or 1000} per class); CIFAR ResNet-18 at width {s.width} '
        f'(configs/fmnist_lt with `--cfg-options`); stage 1 **{s.epochs_stage1} epochs** '
        f'(batch {s.batch_stage1}, lr {s.lr_stage1:g}), cRT **{s.epochs_stage2} epochs** '
        f'(batch {s.batch_stage2}, lr {s.lr_stage2:g}). '
        'Values x100, mean ± std over seeds. Full tables (IBA0.5, medium-shot, convergence): '
        f'[{_link(results_dir, readme_dir, "cls_results.md")}]'
        f'({_link(results_dir, readme_dir, "cls_results.md")}).', ''
    ]
    for order, rows in data['tables'].items():
        header = ['method', 'seeds'] + [plan.METRIC_LABELS[m] for m in CLS_COLUMNS] + [
            paper_figures.CLS_HEADER]
        body = [[row['label'], ','.join(map(str, row['seeds']))] +
                [fmt_mean_std(row['metrics'][m]['values']) if m in row['metrics'] else '—'
                 for m in CLS_COLUMNS] + [paper_figures.cls_cell(method)]
                for method, row in rows.items()]
        out += [f'**{order} order**', '', markdown_table(header, body), '',
                verdict_text(order, data['verdict'][order]), '']
        if data['verdict'][order].get('status') == 'compared':
            out += [paired_table(data['verdict'][order]), '']
        out += ablation_markdown(rows)
    for order, rules in data.get('temperatures', {}).items():
        bits = [f'`{rule}`: head tau {t["head_mean_tau"]["mean"]:.4f} vs tail tau '
                f'{t["tail_mean_tau"]["mean"]:.4f} (head hotter: '
                f'{"yes" if t["head_hotter_than_tail"] else "no"})' for rule, t in rules.items()]
        out += [f'TDL rules, {order}: ' + '; '.join(bits) + '. Analysis: '
                f'[{_link(results_dir, readme_dir, "tdl_rule.md")}]'
                f'({_link(results_dir, readme_dir, "tdl_rule.md")}).', '']
    figures = [f for key, f in data.get('figures', {}).items()
               if key.startswith(('curves_', 'temperatures_'))]
    tsne = sorted(f for f in data.get('tsne', {}).values())
    for fig in figures + tsne:
        out += [f'![{osp.basename(fig)}]({_link(results_dir, readme_dir, fig)})']
    if figures or tsne:
        out.append('')
    if data.get('not_run'):
        out += ['Not run (classification): ' + '; '.join(data['not_run']) + '.', '']
    out += ['Reproduce:', ''] + [f'    {c}' for c in data['reproduce']] + ['']
    return out


def tdl_rows(results_dir: str, readme_dir: str) -> List[List[str]]:
    """One row per (order, rule) of a classification results folder: tail metrics, how far the
    temperatures moved and whether head classes ended hotter than tail classes."""
    data = read_json(osp.join(results_dir, 'cls_results.json'))
    s = plan.Settings(**data['settings'])
    run = (f'[{s.epochs_stage1} epochs, tdl_lr {s.tdl_lr():g}]'
           f'({_link(results_dir, readme_dir, "tdl_rule.md")})')
    rows = []
    for order, methods in data['tables'].items():
        temps = data.get('temperatures', {}).get(order, {})
        for rule, method in plan.TDL_RULE_METHODS.items():
            row, t = methods.get(method), temps.get(rule)
            if row is None:
                continue
            cells = [run, order, rule, ','.join(map(str, row['seeds']))]
            cells += [fmt_mean_std(row['metrics'][m]['values']) for m in ('few_shot_acc', 'gmean')]
            if t:
                move = max(abs(c['mean'] - TAU_INIT) for c in t['tau'])
                cells += [f'{move:.4f}', fmt_mean_std(t['spearman_count_tau']['values']),
                          'yes' if t['head_hotter_than_tail'] else 'no']
            else:
                cells += ['0 (fixed)', '—', '—']
            rows.append(cells)
    return rows


def tdl_section(results_dirs: List[str], readme_dir: str) -> List[str]:
    rows = [r for d in results_dirs for r in tdl_rows(d, readme_dir)]
    if not rows:
        return []
    header = ['run', 'order', 'rule', 'seeds', 'few-shot', 'G-mean', 'largest tau move',
              'Spearman(count, tau)', 'head hotter than tail']
    return ['### TDL rules across the classification runs', '',
            'BDCL + cRT with each temperature rule (`none` = w/o TDL, fixed tau 0.1), everything '
            'else equal within a run. "Largest tau move" is the biggest change of a class\'s '
            f'final temperature from {TAU_INIT:g}; Spearman is the rank correlation of final '
            'temperature with training count (positive: head classes hotter, as the paper\'s '
            'figure shows). Why the default rule is what it is: '
            f'[{_link(DOCS_DIR, readme_dir, "tdl_rule_choice.md")}]'
            f'({_link(DOCS_DIR, readme_dir, "tdl_rule_choice.md")}).', '',
            markdown_table(header, rows), '']


def tdl_long_section(results_dir: str, readme_dir: str) -> List[str]:
    """The long-horizon replay: for each shipped config, the default rule's settle verdict."""
    path = osp.join(results_dir, 'tdl_long_horizon.json')
    if not osp.isfile(path):
        return []
    data = read_json(path)
    header = ['config', 'updates', 'rule', 'final tau per class', 'inside the clamps',
              'stopped (drift < 1% over the last 10%)']
    body = []
    for name, entry in data['settings'].items():
        for rule, result in entry['rules'].items():
            finals = ', '.join(f'{c} {r["final"]:.3f}'
                               for c, r in zip(entry['classes'], result['report']))
            if len(entry['classes']) > 4:
                finals = (f'{min(r["final"] for r in result["report"]):.3f} - '
                          f'{max(r["final"] for r in result["report"]):.3f} '
                          f'({len(entry["classes"])} classes)')
            body.append([name, str(entry['updates']), rule, finals,
                         'all' if all(r['inside'] for r in result['report']) else 'no',
                         'all' if all(r['stopped'] for r in result['report']) else 'no'])
    link = _link(results_dir, readme_dir, 'tdl_long_horizon.md')
    return ['### TDL rules over the shipped update counts', '',
            'Each rule replayed in closed loop on recorded BDCL inputs of real CPU runs, for the '
            f'number of temperature updates each shipped config applies (default rule '
            f'`{data["default"]}`). Details, figure and per-class table: [{link}]({link}).', '',
            markdown_table(header, body), '',
            f'![tau against updates]({_link(results_dir, readme_dir, "figures/tdl_long_horizon.png")})',
            '']


def tdl_audit_section(results_dir: str, readme_dir: str) -> List[str]:
    """What each rule balances: max/min across classes of the audit's three quantities."""
    path = osp.join(results_dir, 'tdl_balance_audit.json')
    if not osp.isfile(path):
        return []
    data = read_json(path)
    body = []
    for kind, task in data['tasks'].items():
        for rule, result in task['rules'].items():
            body.append([kind, rule] + ['-' if result['spread'][q] is None else
                                        f'{result["spread"][q]:.3f}'
                                        for q in ('negative_mass', 'negative_gradient',
                                                  'logit_gap')])
    link = _link(results_dir, readme_dir, 'tdl_balance_audit.md')
    return ['### What each TDL rule balances across classes', '',
            'At each rule\'s replayed equilibrium on recorded real features, the max/min across '
            'classes of the softmax mass on the negatives, of the negatives\' gradient weight '
            f'with the paper\'s 1/tau, and of the logit gap (1 = balanced). Details: [{link}]'
            f'({link}).', '',
            markdown_table(['recording', 'rule', 'negative mass', 'negative gradient',
                            'logit gap'], body), '']


def seg_section(results_dir: str, readme_dir: str) -> List[str]:
    path = osp.join(results_dir, 'seg_results.json')
    if not osp.isfile(path):
        return ['**Segmentation:** not run (no `seg_results.json`).', '']
    data = read_json(path)
    s = data['settings']
    header = ['method', 'seeds', 'mIoU', 'IoU background', 'IoU benign', 'IoU malignant',
              'HD95 benign (px)', 'HD95 malignant (px)', paper_figures.SEG_HEADER]
    body = []
    for method, row in data['rows'].items():
        body.append([row['label'], ','.join(map(str, row['seeds'])), fmt_mean_std(row['mIoU'])] +
                    [fmt_mean_std(row[f'IoU_{c}']) if row[f'IoU_{c}'] else '—'
                     for c in ('background', 'benign', 'malignant')] + hd95_cells(row) +
                    [paper_figures.seg_cell(method)])
    out = [f'### Segmentation: synthetic thyroid ultrasound (CPU-sized, {s["iters"]} iterations)',
           '',
           f'**Synthetic** data ({s["num_train"]} train / {s["num_val"]} val, {s["size"]}x'
           f'{s["size"]}), HRNetV2-W18-small + OCR from scratch, **{s["iters"]} iterations**, '
           f'batch {s["batch"]}. HD95 in pixels (— for runs recorded without it). Not '
           'comparable with the paper\'s TUI numbers. Details: '
           f'[{_link(results_dir, readme_dir, "seg_results.md")}]'
           f'({_link(results_dir, readme_dir, "seg_results.md")}).', '',
           markdown_table(header, body) if body else 'No run finished.', '',
           paper_figures.seg_rows_not_run(), '', f'{data["verdict"]}', '']
    for fig in data.get('figures', []):
        out += [f'![{osp.basename(fig)}]({_link(results_dir, readme_dir, fig)})', '']
    if data.get('not_run'):
        out += ['Not run (segmentation): ' + '; '.join(data['not_run']) + '.', '']
    out += ['Reproduce:', ''] + [f'    {c}' for c in data['reproduce']] + ['']
    return out


def noise_section(results_dir: str, readme_dir: str) -> List[str]:
    """The resolvable paired difference of each benchmark, from ``noise_floor.json``."""
    from benchmarks.noise_floor import headline
    path = osp.join(results_dir, 'noise_floor.json')
    if not osp.isfile(path):
        return []
    link = _link(results_dir, readme_dir, 'noise_floor.md')
    return (['### Noise floor: the smallest paired difference each benchmark resolves', '',
             f'Measured by re-running one method under a harmless perturbation; method, tables '
             f'and the between-method comparison: [{link}]({link}).', ''] +
            headline(read_json(path)) + [''])


COST_FILES = (('cost_seg_step.md', 'segmentation step'),
              ('cost_seg_step_amp.md', 'segmentation step, AMP'),
              ('cost_rival_seg_step.md', 'segmentation step, every method of the comparison'),
              ('cost_rival_cls_step.md', 'classification step, every method of the comparison'),
              ('cost_loss.md', 'loss vs N'),
              ('cost_surface_metric.md', 'Dice + HD95 + ASSD per image against MONAI'))
#: Cost pages that are listed only where they exist (no "not run" line).
OPTIONAL_COST_FILES = ('cost_seg_step_amp.md', 'cost_rival_seg_step.md', 'cost_rival_cls_step.md',
                       'cost_surface_metric.md')


def cost_section(results_dir: str, readme_dir: str, title: str = 'Cost') -> List[str]:
    out = [f'### {title}', '']
    for name, what in COST_FILES:
        path = osp.join(results_dir, name)
        if not osp.isfile(path):
            if name not in OPTIONAL_COST_FILES:
                out.append(f'- {what}: not run.')
            continue
        with open(path, encoding='utf-8') as f:
            text = f.read()
        ratio = re.search(r'ratio BDCL / CE \(median over paired steps\): ([0-9.]+) '
                          r'(\[[0-9., ]+\]), ([^(\n]+) \(', text)
        command = re.search(r'- command: `([^`]*)`', text)
        summary = (f'BDCL / CE step-time ratio **{ratio.group(1)}** {ratio.group(2)}, '
                   f'{ratio.group(3).strip()}; ' if ratio else '')
        out.append(f'- {what}: {summary}table in [{_link(results_dir, readme_dir, name)}]'
                   f'({_link(results_dir, readme_dir, name)})' +
                   (f' (`{command.group(1)}`)' if command else '') + '.')
        tables = markdown_tables(text)
        if tables:
            out += [''] + tables + ['']
    return out + ['']


def markdown_tables(text: str) -> List[str]:
    """The markdown tables of a results file (runs of lines starting with ``|``), each preceded
    by the line above it when that line is a caption ending with ``:``."""
    lines = text.splitlines()
    out: List[str] = []
    for i, line in enumerate(lines):
        if not line.startswith('|'):
            continue
        if i == 0 or not lines[i - 1].startswith('|'):
            caption = lines[i - 2] if i >= 2 and not lines[i - 1].strip() else lines[i - 1]
            if out:
                out.append('')
            if caption.rstrip().endswith(':') or caption.rstrip().endswith(')'):
                out += [caption.strip(), '']
        out.append(line)
    return out


def paper_section() -> List[str]:
    cells = ', '.join(f'{k} {v}' for k, v in PAPER_CLS.items())
    return ['### Published in the paper (not reproduced here)', '',
            f'- ISIC2019, BDCL (ResNet-50, the paper\'s table): {cells}.',
            f'- TUI (private thyroid-ultrasound data), BDCL with HRNetV2-W48 + OCR: mIoU '
            f'{PAPER_SEG_MIOU}.',
            '- These are the paper\'s numbers on its data and GPU schedules; the tables above are '
            'ours, on other data at CPU size, and are not comparable with them.', '']


def render_block(results_dir: str, readme_dir: str) -> str:
    lines = [
        '<!-- generated by benchmarks/render_readme.py from docs/results; do not edit -->', '',
        '**What was run.** Everything below ran on CPU, at the sizes stated in each section: '
        'small subsets, narrow models and short schedules, so absolute numbers are far below a '
        'GPU run. Methods are compared by paired differences over seeds (same seed and data '
        'order) with 95% intervals; "beats" means the interval excludes zero. Rows or seeds '
        'that did not finish are listed as not run. The paper\'s published numbers are quoted '
        'separately and were not reproduced.',
        ''
    ]
    lines += cls_section(results_dir, readme_dir)
    cls_dirs = [osp.dirname(p) for p in
                sorted(glob.glob(osp.join(results_dir, 'cls_*', 'cls_results.json')))]
    for cls_dir in cls_dirs:
        lines += cls_section(cls_dir, readme_dir)
    if osp.isfile(osp.join(results_dir, 'cls_results.json')):
        cls_dirs.insert(0, results_dir)
    lines += tdl_section(cls_dirs, readme_dir)
    lines += tdl_long_section(results_dir, readme_dir)
    lines += tdl_audit_section(results_dir, readme_dir)
    lines += seg_section(results_dir, readme_dir)
    for seg_dir in sorted(glob.glob(osp.join(results_dir, 'seg_*', 'seg_results.json'))):
        lines += seg_section(osp.dirname(seg_dir), readme_dir)
    lines += noise_section(results_dir, readme_dir)
    lines += cost_section(results_dir, readme_dir)
    gpu_dir = osp.join(results_dir, 'cost_gpu')
    if osp.isdir(gpu_dir):
        lines += cost_section(gpu_dir, readme_dir, 'Cost on a GPU (tools/analysis/gpu_check.sh)')
    lines += paper_section()
    return '\n'.join(lines).rstrip() + '\n'


def _seeds(row: dict) -> str:
    return ','.join(map(str, row['seeds']))


def cls_summary(results_dir: str) -> List[str]:
    """The compact classification table: the first class order of ``cls_results.json``."""
    path = osp.join(results_dir, 'cls_results.json')
    if not osp.isfile(path):
        return ['**Classification:** not run (no `cls_results.json`).', '']
    data = read_json(path)
    s = plan.Settings(**data['settings'])
    order, rows = next(iter(data['tables'].items()))
    header = ['method', 'seeds'] + [plan.METRIC_LABELS[m] for m in SUMMARY_CLS_COLUMNS] + [
        paper_figures.CLS_HEADER]
    body = [[rows[m]['label'], _seeds(rows[m])] +
            [fmt_mean_std(rows[m]['metrics'][c]['values']) if c in rows[m]['metrics'] else '—'
             for c in SUMMARY_CLS_COLUMNS] + [paper_figures.cls_cell(m)]
            for m in SUMMARY_CLS_METHODS if m in rows]
    return [f'**Classification**: Fashion-MNIST-LT, {order} order (imbalance ratio {s.ratio:g}), '
            f'CIFAR ResNet-18 at width {s.width}, stage 1 {s.epochs_stage1} epochs + cRT '
            f'{s.epochs_stage2} epochs; x100, mean ± std over seeds.', '',
            markdown_table(header, body) if body else 'No run finished.', '',
            verdict_text(order, data['verdict'][order]), '']


def seg_summary(results_dir: str) -> List[str]:
    """The compact segmentation table of ``seg_results.json``, with its paired verdict."""
    path = osp.join(results_dir, 'seg_results.json')
    if not osp.isfile(path):
        return ['**Segmentation:** not run (no `seg_results.json`).', '']
    data = read_json(path)
    s = data['settings']
    header = (['method', 'seeds', 'mIoU'] + [f'IoU {c}' for c in SEG_CLASSES[1:]] +
              [f'HD95 {c} (px)' for c in SEG_CLASSES[1:]] + [paper_figures.SEG_HEADER])
    body = [[row['label'], _seeds(row), fmt_mean_std(row['mIoU'])] +
            [fmt_mean_std(row[f'IoU_{c}']) if row[f'IoU_{c}'] else '—' for c in SEG_CLASSES[1:]] +
            hd95_cells(row) + [paper_figures.seg_cell(method)]
            for method, row in data['rows'].items()]
    return [f'**Segmentation**: synthetic thyroid ultrasound ({s["num_train"]} train / '
            f'{s["num_val"]} val, {s["size"]}x{s["size"]}), HRNetV2-W18-small + OCR from scratch, '
            f'{s["iters"]} iterations; IoU x100 and HD95 in pixels, mean ± std over seeds.', '',
            markdown_table(header, body) if body else 'No run finished.', '',
            paper_figures.seg_rows_not_run(), '', data['verdict'], '']


def render_summary(results_dir: str, readme_dir: str, results_md: str) -> str:
    """The README's block: one compact table per task, linking the full results page."""
    link = osp.relpath(results_md, readme_dir).replace(osp.sep, '/')
    cells = ', '.join(f'{k} {v}' for k, v in PAPER_CLS.items())
    lines = [
        '<!-- generated by benchmarks/render_readme.py from docs/results; do not edit -->', '',
        'CPU-sized runs (small subsets, narrow models, short schedules), so absolute numbers are '
        'far below a GPU run; "beats" means a 95% interval of the paired difference over seeds '
        f'excludes zero. Every table, the other schedules, the TDL studies and the costs: '
        f'[{link}]({link}).', ''
    ]
    lines += seg_summary(results_dir) + cls_summary(results_dir)
    lines += [f'The paper reports, on its own data (not reproduced here): ISIC2019 {cells}; '
              f'TUI mIoU {PAPER_SEG_MIOU}.', '']
    return '\n'.join(lines).rstrip() + '\n'


def replace_block(text: str, block: str, start: str = START, end: str = END) -> str:
    """``text`` with the text between the ``start`` and ``end`` markers replaced by ``block``."""
    if text.count(start) != 1 or text.count(end) != 1:
        raise ValueError(f'the file must hold exactly one {start} and one {end} marker.')
    head, rest = text.split(start)
    _, tail = rest.split(end)
    return f'{head}{start}\n{block}{end}{tail}'


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--readme', default=osp.join(REPO_ROOT, 'README.md'),
                   help='file that gets the compact tables')
    p.add_argument('--results-md', default=RESULTS_MD, help='file that gets the full results')
    p.add_argument('--results-dir', default=RESULTS_DIR)
    p.add_argument('--check', action='store_true', help='exit 1 if a block is out of date')
    args = p.parse_args(argv)
    readme, results_md = osp.abspath(args.readme), osp.abspath(args.results_md)
    targets = (
        (results_md, lambda: render_block(args.results_dir, osp.dirname(results_md)), START, END),
        (readme, lambda: render_summary(args.results_dir, osp.dirname(readme), results_md),
         SUMMARY_START, SUMMARY_END),
    )
    stale = {}
    for path, render, start, end in targets:
        with open(path, encoding='utf-8') as f:
            text = f.read()
        try:
            new = replace_block(text, render(), start, end)
        except ValueError as error:
            p.error(f'{path}: {error}')
        if new != text:
            stale[path] = new
    if not args.check:
        for path, new in stale.items():
            write_text(path, new)
    else:
        for path in stale:
            print(f'{path}: results block is STALE (run: python benchmarks/render_readme.py)')
        if not stale:
            print('results blocks are up to date')
        return 1 if stale else 0
    print(f'rendered the results blocks of {results_md} and {readme}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
