"""Segmentation benchmark on synthetic thyroid ultrasound: CE vs SCL vs BDCL (and ablations).

    python benchmarks/seg_benchmark.py                        # CPU-sized sweep: 400 iterations, seeds 0,1
    python benchmarks/seg_benchmark.py --methods ce,bdcl --seeds 0,1,2 --iters 1000
    python benchmarks/seg_benchmark.py --aggregate-only
    python benchmarks/seg_benchmark.py --quick --work-dir /tmp/s --results-dir /tmp/s/results
    python benchmarks/seg_benchmark.py --perturb threads2 --methods ce   # noise-floor runs

Model: HRNetV2-W18-small + OCR at 128x128 with the BDCL head
(``configs/demo/bdcl_ocrnet_hr18s_600it_tui-demo-128x128.py``); the CE baseline is
``benchmarks/configs/seg_ocr_ce_hr18s_tui_bench.py`` (the host OCRHead, same everything else).
Every other method names its full-size config (``configs/bdcl/``, ``configs/baselines/``), and
the run gives the demo model that config's contrast switches (``SWITCHES`` of its BDCL head, read
from the config: :func:`method_switches`).
Data: ``tools/dataset_converters/thyroid_us_synth.py`` (synthetic, labelled so).
Per-class IoU / Dice come from the per-class table mmseg's IoUMetric writes to the run's log,
per-class HD95 / ASSD (pixels) from the table of bdcl_mm's SurfaceDistanceMetric beside it; runs
recorded before the configs had that metric show ``—`` there.
One result JSON per run (``RESULTS/runs/seg/<method>_seed<s>.json``); finished runs are skipped;
the aggregate is ``RESULTS/seg_results.{json,md}``. With ``--perturb NAME``
(``benchmarks/perturbation.py``) the runs go to ``RESULTS/noise/NAME/runs/seg/`` instead and the
aggregate is ``RESULTS/noise_floor.{json,md}`` (``benchmarks/noise_floor.py``).
"""
import argparse
import json
import math
import os.path as osp
import re
import shutil
import sys
from dataclasses import asdict, dataclass
from typing import Dict, List, Optional

if __package__ in (None, ''):
    sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
    __package__ = 'benchmarks'  # noqa: A001

from benchmarks import noise_floor, paper_figures, perturbation  # noqa: E402
from benchmarks.common import (REPO_ROOT, RESULTS_DIR, fmt_mean_std,  # noqa: E402
                               last_record_with, log_folders, markdown_table, read_json, read_scalars, rel,
                               repo_path, run_logged, shell_command, tail, train_command,
                               write_json, write_text)

BDCL_CFG = repo_path('configs', 'demo', 'bdcl_ocrnet_hr18s_600it_tui-demo-128x128.py')
TSC_CFG = repo_path('configs', 'demo', 'tsc_ocrnet_hr18s_600it_tui-demo-128x128.py')
CE_CFG = repo_path('benchmarks', 'configs', 'seg_ocr_ce_hr18s_tui_bench.py')
LDAM_CFG = repo_path('configs', 'demo', 'ldam-drw_ocrnet_hr18s_600it_tui-demo-128x128.py')
SOFTIOU_CFG = repo_path('benchmarks', 'configs', 'seg_ocr_softiou_hr18s_tui_bench.py')
LOVASZ_CFG = repo_path('benchmarks', 'configs', 'seg_ocr_lovasz_hr18s_tui_bench.py')
HEAD = 'model.decode_head.1.'
LOSS = HEAD + 'loss_contrast.'
#: What a method's config switches on its BDCL head: head arguments and ``loss_contrast.*``.
SWITCHES = ('scope', 'loss_contrast.tdl', 'loss_contrast.use_prototypes')


def _full_size(folder: str, name: str) -> str:
    return repo_path('configs', folder, name + '_ocrnet_hr48_80k_tui-512x512.py')


#: method -> label, the config trained, and the full-size config its switches come from.
METHODS: Dict[str, dict] = {
    'ce': dict(label='OCR + CE', config=CE_CFG, switches_from=None),
    'scl': dict(label='OCR + SCL', config=BDCL_CFG,
                switches_from=_full_size('baselines', 'scl')),
    'bdcl': dict(label='OCR + BDCL (TDL balance, default)', config=BDCL_CFG,
                 switches_from=_full_size('bdcl', 'bdcl')),
    'bdcl_paper': dict(label='OCR + BDCL (TDL paper)', config=BDCL_CFG,
                       switches_from=_full_size('baselines', 'bdcl-tdl-paper')),
    'bdcl_wo_tdl': dict(label='OCR + BDCL w/o TDL', config=BDCL_CFG,
                        switches_from=_full_size('baselines', 'bdcl-wo-tdl')),
    'bdcl_wo_hep': dict(label='OCR + BDCL w/o HEP (TDL balance)', config=BDCL_CFG,
                        switches_from=_full_size('baselines', 'bdcl-wo-hep')),
    'bdcl_image': dict(label="OCR + BDCL (scope 'image', the paper's per-image contrast)",
                       config=BDCL_CFG, switches_from=_full_size('baselines', 'bdcl-scope-image')),
    # the paper's rival LDAM-DRW: the demo model with the cosine OCR head, LDAM and DRW
    'ldam': dict(label='OCR + LDAM-DRW', config=LDAM_CFG, switches_from=None),

    # the demo model with TSCLoss on the same contrast path (its config states every setting)
    'tsc': dict(label='OCR + TSC', config=TSC_CFG, switches_from=None),
    'softiou': dict(label='OCR + SoftIoU', config=SOFTIOU_CFG, switches_from=None),
    'lovasz': dict(label='OCR + Lovasz', config=LOVASZ_CFG, switches_from=None),
}
#: The rows BDCL's paired mIoU differences are reported against: CE, SCL and the paper's rivals.
PAIRED_BASELINES = ('ce', 'scl', 'ldam', 'softiou', 'tsc', 'lovasz')
#: (method, reference): the paired mIoU difference reported when both ran
SCOPE_PAIR = ('bdcl_image', 'bdcl')
CLASSES = ('background', 'benign', 'malignant')
#: The line SurfaceDistanceMetric writes before its table (``bdcl_mm.seg.surface_distance_metric``).
SURFACE_TITLE = 'per class surface distances'
#: Per-class columns of that table kept in a run's JSON (and aggregated).
SURFACE_METRICS = ('HD95', 'ASSD')


def _finite(value):
    """``value`` when it is a finite number, else ``None`` (JSON has no NaN)."""
    return value if isinstance(value, (int, float)) and math.isfinite(value) else None


class RunFailed(RuntimeError):
    """A run exited with an error."""


def method_switches(method: str) -> Dict[str, object]:
    """``--cfg-options`` giving the trained model the contrast switches of ``method``'s
    full-size config: each of ``SWITCHES`` that its BDCL head (``decode_head[1]``) sets.

    Empty for a method without a BDCL head (CE)."""
    from mmengine.config import Config
    source = METHODS[method]['switches_from']
    if source is None:
        return {}
    head = Config.fromfile(source, import_custom_modules=False).model.decode_head[1]
    options: Dict[str, object] = {}
    for name in SWITCHES:
        *parents, leaf = name.split('.')
        owner = head
        for part in parents:
            owner = owner.get(part, {})
        if leaf in owner:
            options[HEAD + name] = owner[leaf]
    return options


#: The decode heads that take ``contrast_warmup_iters`` (the plugin's contrast path).
CONTRAST_HEADS = ('BDCLOCRHead', 'BDCLDecodeHead')


def has_contrast(method: str) -> bool:
    """Whether ``method``'s trained config has a contrast head (``decode_head[1]``), the one that
    takes the benchmark's contrast warm-up; CE, LDAM-DRW, SoftIoU and Lovasz train without one."""
    from mmengine.config import Config
    cfg = Config.fromfile(METHODS[method]['config'], import_custom_modules=False)
    return cfg.model.decode_head[1].type in CONTRAST_HEADS


@dataclass
class SegSettings:
    size: int = 128  # the demo config's crop size; images are generated at this size
    num_train: int = 80
    num_val: int = 20
    data_seed: int = 0
    iters: int = 400
    batch: int = 4
    warmup: int = 100
    #: A harmless perturbation (``benchmarks/perturbation.py``) for the noise floor; None: a
    #: main run (left out of the key, which stays as it was).
    perturb: Optional[str] = None

    def key(self) -> str:
        return json.dumps(self.as_dict(), sort_keys=True)

    def as_dict(self) -> dict:
        data = asdict(self)
        if data['perturb'] is None:
            del data['perturb']
        return data


QUICK = dict(methods='ce,bdcl', seeds='0', num_train=4, num_val=2, iters=3, batch=2, warmup=1)


def parse_table(log_text: str) -> Dict[str, Dict[str, float]]:
    """The last per-class table of mmseg's IoUMetric in a log: ``{class: {IoU, Acc, Dice}}``."""
    if 'per class results:' not in log_text:
        raise RunFailed('no "per class results" table in the run log.')
    rows = []
    for line in log_text.rsplit('per class results:', 1)[1].splitlines()[1:]:
        line = line.strip()
        if line.startswith('|'):
            rows.append(line)
        elif rows and not line.startswith('+'):
            break
    if len(rows) < 2:
        raise RunFailed('the "per class results" table in the run log is empty.')
    header = [c.strip() for c in rows[0].strip('|').split('|')]
    out = {}
    for line in rows[1:]:
        cells = [c.strip() for c in line.strip('|').split('|')]
        out[cells[0]] = {h: None if v in ('nan', '') else float(v)
                         for h, v in zip(header[1:], cells[1:])}
    return out


def parse_surface_table(log_text: str) -> Optional[dict]:
    """The last per-class table of SurfaceDistanceMetric in a log: ``{'unit': 'px',
    'per_class': {class: {Dice, HD95, ASSD, images, missed, false alarm, absent}}}``, or
    ``None`` when the log has none. Undefined means (``nan``) read as ``None``."""
    match = list(re.finditer(re.escape(SURFACE_TITLE) + r' \(([^)]*)\):', log_text))
    if not match:
        return None
    rows = []
    for line in log_text[match[-1].end():].splitlines()[1:]:
        line = line.strip()
        if line.startswith('|'):
            rows.append(line)
        elif rows and not line.startswith('+'):
            break
    if len(rows) < 2:
        raise RunFailed(f'the "{SURFACE_TITLE}" table in the run log is empty.')
    header = [re.sub(r' \(.*\)$', '', c.strip()) for c in rows[0].strip('|').split('|')]
    per_class = {}
    for line in rows[1:]:
        cells = [c.strip() for c in line.strip('|').split('|')]
        per_class[cells[0]] = {h: None if v in ('nan', '') else float(v)
                               for h, v in zip(header[1:], cells[1:])}
    return dict(unit=match[-1].group(1), per_class=per_class)


def ensure_data(data_dir: str, s: SegSettings, device: str) -> str:
    root = osp.join(data_dir, f'tui_synth_{s.size}px_{s.num_train}+{s.num_val}_s{s.data_seed}')
    if osp.isfile(osp.join(root, 'synthetic_us.json')):
        return root
    cmd = [sys.executable, 'tools/dataset_converters/thyroid_us_synth.py', root, '--num-train',
           str(s.num_train), '--num-val', str(s.num_val), '--size', str(s.size), '--seed',
           str(s.data_seed), '--quiet', '--force']
    code, _ = run_logged(cmd, root + '.log', device)
    if code:
        raise RunFailed(f'data generation failed:\n{tail(root + ".log")}')
    return root


def run_one(method: str, seed: int, s: SegSettings, paths: dict, device: str) -> dict:
    result_path = osp.join(paths['results'], 'runs', 'seg', f'{method}_seed{seed}.json')
    if osp.isfile(result_path) and read_json(result_path).get('settings_key') == s.key():
        print(f'[skip] seg {method} seed {seed}: {rel(result_path)} exists', flush=True)
        return read_json(result_path)
    spec = METHODS[method]
    root = ensure_data(paths['data'], s, device)
    options: Dict[str, object] = {'randomness.seed': seed}
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        options[f'{loader}.dataset.data_root'] = rel(root)
    options.update({
        'train_dataloader.batch_size': s.batch,
        'train_cfg.max_iters': s.iters,
        'train_cfg.val_interval': s.iters,
        'param_scheduler.0.end': s.iters,
        'default_hooks.checkpoint.interval': s.iters,
        'default_hooks.logger.interval': max(1, min(25, s.iters // 4)),
    })
    if has_contrast(method):
        options[HEAD + 'contrast_warmup_iters'] = s.warmup
    switches = method_switches(method)
    options.update(switches)
    work_dir = osp.join(paths['work'], f'seed{seed}', method)
    if osp.isdir(work_dir):
        shutil.rmtree(work_dir)
    cmd = train_command(spec['config'], work_dir, options)
    print(f'[run] {shell_command(cmd)}', flush=True)
    code, wall = run_logged(cmd, work_dir + '.log', device, env=perturbation.env_of(s.perturb))
    if code:
        raise RunFailed(f'exit {code}; log {work_dir}.log:\n{tail(work_dir + ".log")}')
    records = read_scalars(work_dir)
    final = last_record_with(records, 'mIoU')
    folder = log_folders(work_dir)[-1]
    with open(osp.join(folder, osp.basename(folder) + '.log'), encoding='utf-8') as f:
        log_text = f.read()
    per_class = parse_table(log_text)
    surface = parse_surface_table(log_text)
    train = [r for r in records if 'loss' in r]
    result = dict(kind='seg', method=method, label=spec['label'], seed=seed, settings=s.as_dict(),
                  settings_key=s.key(),
                  command=perturbation.command_line(shell_command(cmd), s.perturb), wall_s=wall,
                  work_dir=rel(work_dir), mIoU=final['mIoU'], mDice=final.get('mDice'),
                  aAcc=final.get('aAcc'), per_class=per_class,
                  mHD95=_finite(final.get('mHD95')), mASSD=_finite(final.get('mASSD')),
                  surface=surface,
                  curves={'iter': [r.get('iter', r.get('step')) for r in train],
                          'loss': [r['loss'] for r in train]},
                  **perturbation.record_of(s.perturb))
    hook_json = osp.join(work_dir, 'bdcl_temperatures.json')
    if osp.isfile(hook_json) and switches.get(LOSS + 'tdl') != 'none':
        result['temperature_history'] = read_json(hook_json)
        shutil.copyfile(osp.join(work_dir, 'bdcl_temperatures.png'),
                        osp.join(paths['results'], 'figures',
                                 f'seg_bdcl_hook_temperatures_{method}_seed{seed}.png'))
    write_json(result_path, result)
    print(f'[result] seg {method} seed {seed}: mIoU {result["mIoU"]:.2f} ({wall:.0f} s)',
          flush=True)
    return result


def aggregate(results_dir: str, s: SegSettings, methods: List[str], seeds: List[int]) -> dict:
    runs = []
    for method in METHODS:
        for path in sorted(osp.join(results_dir, 'runs', 'seg', f) for f in _list(results_dir)):
            data = read_json(path)
            if data.get('method') == method and data.get('settings_key') == s.key():
                runs.append(data)
    rows = {}
    for method in METHODS:
        mine = sorted((r for r in runs if r['method'] == method), key=lambda r: r['seed'])
        if not mine:
            continue
        row = {'label': METHODS[method]['label'], 'seeds': [r['seed'] for r in mine],
               'mIoU': [r['mIoU'] for r in mine], 'mDice': [r['mDice'] for r in mine],
               'wall_s': [r['wall_s'] for r in mine]}
        for c in CLASSES:
            for metric in ('IoU', 'Dice'):
                values = [r['per_class'].get(c, {}).get(metric) for r in mine]
                row[f'{metric}_{c}'] = [v for v in values if v is not None]
        for c in CLASSES[1:]:
            for metric in SURFACE_METRICS:
                values = [((r.get('surface') or {}).get('per_class') or {}).get(c, {}).get(metric)
                          for r in mine]
                row[f'{metric}_{c}'] = [v for v in values if v is not None]
        row['surface_unit'] = next((r['surface']['unit'] for r in mine if r.get('surface')), None)
        rows[method] = row
    missing = [f'{METHODS[m]["label"]} / seed {seed}' for m in methods for seed in seeds
               if seed not in rows.get(m, {}).get('seeds', [])]
    figures = [f'figures/seg_bdcl_hook_temperatures_{m}_seed{seed}.png' for m in METHODS
               for seed in rows.get(m, {}).get('seeds', [])[:1]
               if osp.isfile(osp.join(results_dir, 'figures',
                                      f'seg_bdcl_hook_temperatures_{m}_seed{seed}.png'))]
    summary = dict(settings=s.as_dict(), rows=rows, not_run=missing, figures=figures,
                   verdict=seg_verdict(rows),
                   reproduce=[f'OMP_NUM_THREADS=1 python benchmarks/seg_benchmark.py --methods '
                              f'{",".join(methods)} --seeds {",".join(map(str, seeds))} '
                              f'--iters {s.iters} --batch {s.batch} --warmup {s.warmup} '
                              f'--num-train {s.num_train} --num-val {s.num_val}' + (
                                  '' if osp.abspath(results_dir) == osp.abspath(RESULTS_DIR) else
                                  f' --results-dir {osp.relpath(results_dir, REPO_ROOT)}')])
    write_json(osp.join(results_dir, 'seg_results.json'), summary)
    write_text(osp.join(results_dir, 'seg_results.md'), seg_markdown(summary))
    return summary


def _list(results_dir: str) -> List[str]:
    import os
    folder = osp.join(results_dir, 'runs', 'seg')
    return [f for f in os.listdir(folder) if f.endswith('.json')] if osp.isdir(folder) else []


def seg_verdict(rows: dict) -> str:
    """OCR + BDCL minus each of ``PAIRED_BASELINES`` that ran, in mIoU, paired by seed, 95%
    interval."""
    from benchmarks.common import fmt_paired, paired_difference
    if 'bdcl' not in rows:
        return 'OCR + BDCL not run; no verdict.'
    base = [m for m in PAIRED_BASELINES if m in rows]
    if not base:
        return 'no baseline run; no verdict.'
    nodules = [v for row in rows.values() for c in CLASSES[1:] for v in row[f'IoU_{c}']]
    if nodules and max(nodules) == 0.0:
        return ('Every method, in every seed, predicts background only (IoU 0 for both nodule '
                'classes): this schedule is too short for any method to segment a nodule, so '
                'it cannot rank CE, SCL and BDCL; it only shows that all of them train and '
                'evaluate end to end. No method beat another.')
    ours = dict(zip(rows['bdcl']['seeds'], rows['bdcl']['mIoU']))
    parts = []
    for m in base:
        diff = paired_difference(ours, dict(zip(rows[m]['seeds'], rows[m]['mIoU'])))
        if diff is None:
            parts.append(f'against {rows[m]["label"]}: fewer than 2 paired seeds')
        else:
            parts.append(f'minus {rows[m]["label"]}: {fmt_paired(diff)} mIoU over {diff["n"]} '
                         f'paired seeds (95% interval): **{diff["verdict"]}**')
    return f'{rows["bdcl"]["label"]} ' + '; '.join(parts) + '.'


def scope_comparison(rows: dict) -> str:
    """The contrast scope 'image' minus the default 'batch' in mIoU, paired by seed, 95% interval
    (empty when either did not run)."""
    from benchmarks.common import fmt_paired, paired_difference
    method, reference = SCOPE_PAIR
    if method not in rows or reference not in rows:
        return ''
    diff = paired_difference(dict(zip(rows[method]['seeds'], rows[method]['mIoU'])),
                             dict(zip(rows[reference]['seeds'], rows[reference]['mIoU'])))
    if diff is None:
        return (f'{rows[method]["label"]} against {rows[reference]["label"]}: fewer than 2 '
                f'paired seeds.')
    return (f'{rows[method]["label"]} minus {rows[reference]["label"]}: {fmt_paired(diff)} mIoU '
            f'over {diff["n"]} paired seeds (95% interval): **{diff["verdict"]}**.')


def seg_markdown(summary: dict) -> str:
    s = summary['settings']
    lines = [
        '# Segmentation benchmark: synthetic thyroid ultrasound (generated; do not edit)', '',
        f'**Synthetic data** ({s["num_train"]} train / {s["num_val"]} val images, {s["size"]}x'
        f'{s["size"]}, generator seed {s["data_seed"]}); HRNetV2-W18-small + OCR from scratch, '
        f'**{s["iters"]} iterations** at batch {s["batch"]}, contrast warm-up {s["warmup"]} '
        'iterations, SGD lr 0.01 poly. IoU / Dice x100 from mmseg\'s IoUMetric on the val split, '
        'mean ± std over seeds. HD95 in pixels from SurfaceDistanceMetric: per seed the mean over '
        'the val images where the class is both predicted and present (— where no seed has '
        'one, or the run predates the metric). This is a CPU-sized check of the pipeline, not '
        'the paper\'s HRNetV2-W48 80k-iteration setting.', ''
    ]
    header = (['method', 'seeds', 'mIoU', 'mDice'] + [f'IoU {c}' for c in CLASSES] +
              [f'HD95 {c} (px)' for c in CLASSES[1:]] + ['wall s, load-dependent',
                                                         paper_figures.SEG_HEADER])
    body = []
    for method, row in summary['rows'].items():
        body.append([row['label'], ','.join(map(str, row['seeds'])), fmt_mean_std(row['mIoU']),
                     fmt_mean_std(row['mDice'])] +
                    [fmt_mean_std(row[f'IoU_{c}']) if row[f'IoU_{c}'] else '—' for c in CLASSES] +
                    hd95_cells(row) + [f'{sum(row["wall_s"]) / len(row["wall_s"]):.0f}',
                                       paper_figures.seg_cell(method)])
    lines += [markdown_table(header, body) if body else 'No run finished.', '',
              f'- {summary["verdict"]}']
    scope = scope_comparison(summary['rows'])
    lines += [f'- {scope}', ''] if scope else ['']
    from benchmarks.ablation import seg_ablation_markdown
    lines += seg_ablation_markdown(summary['rows'])
    if summary.get('figures'):
        lines += ['Per-class temperatures of OCR + BDCL during training (BDCLHook):', '']
        lines += [f'![{osp.basename(f)}]({f})' for f in summary['figures']] + ['']
    lines += ['## Not run', '']
    lines += [f'- {m}' for m in summary['not_run']] or ['- nothing: the whole matrix ran.']
    lines += ['', '## Reproduce', ''] + [f'    {c}' for c in summary['reproduce']] + ['']
    return '\n'.join(lines)


def hd95_cells(row: dict) -> List[str]:
    """The HD95 cells of a table row, one per foreground class; ``—`` without values."""
    return [fmt_mean_std(row.get(f'HD95_{c}')) if row.get(f'HD95_{c}') else '—'
            for c in CLASSES[1:]]


def parse_args(argv=None):
    d = SegSettings()
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--methods',
                   default='ce,scl,bdcl,bdcl_image,bdcl_wo_tdl,bdcl_wo_hep,ldam,softiou,tsc,lovasz')
    p.add_argument('--seeds', default='0,1,2,3,4')
    for name in ('num_train', 'num_val', 'iters', 'batch', 'warmup'):
        p.add_argument('--' + name.replace('_', '-'), type=int, default=getattr(d, name))
    p.add_argument('--device', choices=('cpu', 'cuda'), default='cpu')
    p.add_argument('--perturb', choices=sorted(perturbation.PERTURBATIONS), default=None,
                   help='re-run under a harmless perturbation for the noise floor; results go '
                   'to RESULTS/noise/NAME, apart from the main runs')
    p.add_argument('--work-dir', default=None,
                   help='default: work_dirs/benchmarks/seg (seg_NAME with --perturb NAME)')
    p.add_argument('--data-dir', default=repo_path('data', 'bench'))
    p.add_argument('--results-dir', default=RESULTS_DIR)
    p.add_argument('--aggregate-only', action='store_true')
    p.add_argument('--quick', action='store_true', help='smoke run: CE and BDCL, 4 iterations')
    args = p.parse_args(argv)
    if args.work_dir is None:
        name = 'seg' if args.perturb is None else f'seg_{args.perturb}'
        args.work_dir = repo_path('work_dirs', 'benchmarks', name)
    if args.quick:
        for key, value in QUICK.items():
            setattr(args, key, value)
    args.methods = [m.strip() for m in args.methods.split(',') if m.strip()]
    bad = [m for m in args.methods if m not in METHODS]
    if bad or not args.methods:
        p.error(f'unknown methods {bad}; choose from {list(METHODS)}')
    args.seeds = [int(x) for x in str(args.seeds).split(',') if x.strip()]
    if min(args.num_train, args.num_val, args.iters, args.batch) < 1:
        p.error('--num-train, --num-val, --iters and --batch must be positive')
    return args


def main(argv=None) -> int:
    import os
    args = parse_args(argv)
    s = SegSettings(num_train=args.num_train, num_val=args.num_val,
                    iters=args.iters, batch=args.batch, warmup=args.warmup, perturb=args.perturb)
    runs_dir = (args.results_dir if args.perturb is None else
                perturbation.runs_root(args.results_dir, args.perturb))
    paths = dict(work=args.work_dir, data=args.data_dir, results=runs_dir)
    os.makedirs(osp.join(runs_dir, 'figures'), exist_ok=True)
    failed = []
    if not args.aggregate_only:
        for seed in args.seeds:
            for method in args.methods:
                try:
                    run_one(method, seed, s, paths, args.device)
                except (RunFailed, FileNotFoundError, KeyError) as error:
                    failed.append(f'{method} seed {seed}')
                    print(f'[failed] seg {method} seed {seed}: {error}', flush=True)
    if args.perturb is not None:
        noise_floor.write(args.results_dir)
        print(f'[noise floor] {rel(osp.join(args.results_dir, "noise_floor.md"))}', flush=True)
        return 1 if failed else 0
    summary = aggregate(args.results_dir, s, args.methods, args.seeds)
    print(f'[aggregate] {rel(osp.join(args.results_dir, "seg_results.md"))}: '
          f'{len(summary["rows"])} methods, {len(summary["not_run"])} missing', flush=True)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
