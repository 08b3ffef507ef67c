"""Long-horizon TDL benchmark: every rule replayed for the update counts the shipped configs apply.

    python benchmarks/tdl_long_horizon.py                      # record (if needed), replay, report
    python benchmarks/tdl_long_horizon.py --quick --work-dir /tmp/t --results-dir /tmp/t/res

Recordings (``benchmarks/tdl_replay.py``): the inputs of ``BDCLLoss`` in two real CPU training
runs with the default rule, kept under ``--work-dir``:

* ``seg``: the synthetic thyroid-ultrasound BDCL model
  (``configs/demo/bdcl_ocrnet_hr18s_600it_tui-demo-128x128.py``) with the pixel sampling and
  projection of ``configs/bdcl/bdcl_ocrnet_hr48_80k_tui-512x512.py`` (read from it: 100 pixels
  per image and class, at most 1024, 256-d projection);
* ``cls``: the Fashion-MNIST-LT (hard tail) BDCL stage 1 of the classification benchmark.

Settings (update count = what the shipped config applies): HRNet-OCR TUI replays ``seg`` for
``max_iters - contrast_warmup_iters`` of ``configs/bdcl/bdcl_ocrnet_hr48_80k_tui-512x512.py``
(the config of ``configs/bdcl/hrnet_ocr_tui.py``); ISIC2019 and
Hyper-Kvasir stage 1 replay ``cls`` for ``ceil(train images / batch) * max_epochs`` of their
configs (train images: 80% of 25,331 and of 10,662). Writes ``RESULTS/tdl_long_horizon.{md,json}``
and ``RESULTS/figures/tdl_long_horizon.png``.
"""
import argparse
import math
import os
import os.path as osp
import sys
import time
from typing import Dict, List

if __package__ in (None, ''):
    sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
    __package__ = 'benchmarks'  # noqa: A001

from benchmarks.common import (RESULTS_DIR, markdown_table, new_figure, rel,  # noqa: E402
                               repo_path, write_json, write_text)

RULES = ('balance', 'paper', 'descent', 'ascent')
#: Weights of the new margins in the running estimate of 'balance' compared (1: none).
MARGIN_MOMENTA = (1.0, 0.1, 0.01, 0.001)
SEG_CFG = repo_path('configs', 'demo', 'bdcl_ocrnet_hr18s_600it_tui-demo-128x128.py')
TUI_CFG = repo_path('configs', 'bdcl', 'bdcl_ocrnet_hr48_80k_tui-512x512.py')
#: The BDCL head arguments of ``TUI_CFG`` the segmentation recording uses.
TUI_SAMPLING = ('max_views', 'max_samples', 'proj_channels')
CLS_CFGS = {
    'isic2019': (repo_path('configs', 'bdcl', 'bdcl_resnet50_stage1-100e_isic2019-224.py'),
                 25331),
    'hyper_kvasir': (repo_path('configs', 'bdcl', 'bdcl_resnet50_stage1-100e_hyper-kvasir-224.py'),
                     10662),
}
#: The segmentation recording: iterations, and the warm-up before the contrast switches on.
SEG_RECORD_ITERS, SEG_RECORD_WARMUP = 400, 40


def shipped_update_counts() -> Dict[str, int]:
    """Temperature updates each shipped config applies (read from the configs)."""
    from mmengine.config import Config
    counts = {}
    tui = Config.fromfile(TUI_CFG)
    counts['hrnet_ocr_tui'] = tui.train_cfg.max_iters - tui.model.decode_head[1].get(
        'contrast_warmup_iters', 0)
    for name, (path, images) in CLS_CFGS.items():
        cfg = Config.fromfile(path)
        train = images - round(0.2 * images)
        counts[f'{name}_stage1'] = math.ceil(
            train / cfg.train_dataloader.batch_size) * cfg.train_cfg.max_epochs
    return counts


def record(kind: str, out: str, work_dir: str, quick: bool) -> None:
    """Train once with the default rule and save what every recorded forward gave BDCLLoss."""
    import torch
    from mmengine.config import Config
    from mmengine.logging import MessageHub

    from bdcl_mm.engine.hooks import find_bdcl_losses
    from bdcl_mm.engine.launch import build_runner, load_config, prepare_environment

    from .cls_plan import Settings, stage1_config
    from .cls_runs import data_options
    from .cls_runs import ensure_data as cls_data
    from .seg_benchmark import SegSettings
    from .seg_benchmark import ensure_data as seg_data
    torch.set_num_threads(1)
    if kind == 'seg':
        s = SegSettings(num_train=4, num_val=2, iters=6, batch=2, warmup=2) if quick else \
            SegSettings(iters=SEG_RECORD_ITERS, warmup=SEG_RECORD_WARMUP)
        root = seg_data(osp.join(work_dir, 'data'), s, 'cpu')
        head = 'model.decode_head.1.'
        options = {f'{loader}.dataset.data_root': rel(root)
                   for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')}
        options.update({
            'randomness.seed': 0, 'train_dataloader.batch_size': s.batch,
            'train_cfg.max_iters': s.iters, 'train_cfg.val_interval': s.iters + 1,
            'param_scheduler.0.end': s.iters, 'default_hooks.checkpoint.interval': s.iters + 1,
            head + 'contrast_warmup_iters': s.warmup,
        })
        tui_head = Config.fromfile(TUI_CFG, import_custom_modules=False).model.decode_head[1]
        options.update({head + name: tui_head[name] for name in TUI_SAMPLING})
        config, start, every = SEG_CFG, s.warmup, 1
    else:
        s = Settings(epochs_stage1=1, n_max=40) if quick else Settings()
        root = cls_data(osp.join(work_dir, 'data'), 'hard-tail', s, 'cpu')
        options = data_options(root, 0)
        options.update(s.model_options())
        options.update({
            'optim_wrapper.optimizer.lr': s.lr_stage1, 'train_cfg.max_epochs': s.epochs_stage1,
            'train_cfg.val_interval': s.epochs_stage1 + 1,
            'train_dataloader.batch_size': s.batch_stage1,
            'default_hooks.checkpoint.interval': s.epochs_stage1 + 1,
        })
        config, start, every = stage1_config('bdcl_balance'), 0, 1
    cfg = load_config(config, options)
    cfg.work_dir = osp.join(work_dir, f'record_{kind}')
    prepare_environment(cfg)
    runner = build_runner(cfg)
    (_, loss), = find_bdcl_losses(runner.model)
    batches: List[dict] = []

    def capture(module, args, kwargs):
        iteration = MessageHub.get_current_instance().get_info('iter', 0)
        if not module.training or iteration < start or (iteration - start) % every:
            return
        features, labels = args[0], args[1]
        preds = args[2] if len(args) > 2 else kwargs.get('preds')
        keep = labels != module.ignore_index if module.ignore_index is not None else \
            torch.ones_like(labels, dtype=torch.bool)
        batches.append(dict(
            iteration=int(iteration),
            features=features.detach()[keep].half().cpu(),
            labels=labels[keep].cpu(),
            preds=None if preds is None else preds[keep].cpu(),
            prototypes=module.prototypes.clone().cpu() if module.use_prototypes else None,
            prototype_valid=module.prototype_valid.clone().cpu()
            if module.use_prototypes else None))

    loss.register_forward_pre_hook(capture, with_kwargs=True)
    runner.train()
    classes = list(runner.train_dataloader.dataset.metainfo['classes'])
    os.makedirs(osp.dirname(out), exist_ok=True)
    torch.save(dict(kind=kind, classes=classes, num_classes=loss.num_classes,
                    feat_dim=loss.feat_dim, config=rel(config), options=options,
                    batches=batches), out + '.tmp')
    os.replace(out + '.tmp', out)


def ensure_recordings(work_dir: str, quick: bool) -> Dict[str, str]:
    """Record ``seg`` and ``cls`` (two processes side by side) unless their files exist."""
    import subprocess
    paths = {kind: osp.join(work_dir, f'recording_{kind}.pt') for kind in ('seg', 'cls')}
    os.makedirs(work_dir, exist_ok=True)
    procs = []
    for kind, path in paths.items():
        if osp.isfile(path):
            continue
        cmd = [sys.executable, osp.abspath(__file__), '--record', kind, '--out', path,
               '--work-dir', work_dir] + (['--quick'] if quick else [])
        log = open(path + '.log', 'w')
        procs.append((kind, path, subprocess.Popen(cmd, cwd=repo_path(), stdout=log,
                                                   stderr=subprocess.STDOUT)))
        print(f'[record] {kind}: log {rel(path)}.log', flush=True)
    for kind, path, proc in procs:
        if proc.wait():
            with open(path + '.log') as f:
                raise RuntimeError(f'recording {kind} failed:\n' + ''.join(f.readlines()[-30:]))
    return paths


def load_tables(path: str, grid) -> dict:
    """A recording's batches tabulated on ``grid`` (cached next to the recording)."""
    import torch

    from .tdl_replay import RecordedBatch, tabulate
    cache = path + '.tables.pt'
    recording = torch.load(path, weights_only=False)
    if osp.isfile(cache) and osp.getmtime(cache) >= osp.getmtime(path):
        tables = torch.load(cache, weights_only=False)
    else:
        tables = [tabulate(RecordedBatch(**b), recording['num_classes'], grid)
                  for b in recording['batches']]
        torch.save(tables, cache)
    recording['tables'] = tables
    return recording


def class_frequency(recording: dict) -> List[float]:
    """Share of each class among the recorded items."""
    import torch
    counts = sum(torch.bincount(b['labels'].long(), minlength=recording['num_classes']).double()
                 for b in recording['batches'])
    return (counts / counts.sum()).tolist()


def run(args) -> dict:
    from .tdl_replay import replay, settle_report, temperature_grid
    from bdcl_mm.models.losses import BDCLLoss
    defaults = BDCLLoss(1, 1)
    tau_min, tau_max, tau_init = defaults.tau_min, defaults.tau_max, defaults.tau_init
    grid = temperature_grid(tau_min, tau_max, 9 if args.quick else 33)
    paths = ensure_recordings(args.work_dir, args.quick)
    recordings = {kind: load_tables(path, grid) for kind, path in paths.items()}
    counts = shipped_update_counts()
    if args.quick:
        counts = {name: 200 for name in counts}
    settings = {'hrnet_ocr_tui': 'seg', 'isic2019_stage1': 'cls', 'hyper_kvasir_stage1': 'cls'}
    summary = dict(tau_min=tau_min, tau_max=tau_max, tau_init=tau_init, default=defaults.tdl,
                   margin_momentum=defaults.margin_momentum, tdl_lr=defaults.tdl_lr,
                   grid_points=len(grid), settings={})
    for name, kind in settings.items():
        rec = recordings[kind]
        entry = dict(recording=kind, updates=counts[name], classes=rec['classes'],
                     recorded_batches=len(rec['tables']), recording_config=rec['config'],
                     class_frequency=class_frequency(rec), rules={})
        for rule in RULES:
            start = time.time()
            trace = replay(rec['tables'], rule, counts[name], grid, rec['feat_dim'],
                           tau_init=tau_init, tau_min=tau_min, tau_max=tau_max)
            entry['rules'][rule] = dict(trace=trace,
                                        report=settle_report(trace, tau_min, tau_max),
                                        seconds=time.time() - start)
            print(f'[replay] {name} {rule}: {counts[name]} updates, final '
                  f'{[round(t, 4) for t in trace["final"]]}', flush=True)
        entry['margin_memory'] = {}
        for momentum in MARGIN_MOMENTA:
            trace = replay(rec['tables'], 'balance', counts[name], grid, rec['feat_dim'],
                           margin_momentum=momentum, tau_init=tau_init, tau_min=tau_min,
                           tau_max=tau_max)
            entry['margin_memory'][repr(momentum)] = settle_report(trace, tau_min, tau_max)
        summary['settings'][name] = entry
    return summary


def headline(entry: dict, rule: str) -> str:
    """Which classes end hotter, against the paper's figure (head classes hotter than tail)."""
    from .common import spearman
    final = entry['rules'][rule]['trace']['final']
    rho = spearman(entry['class_frequency'], final)
    order = sorted(range(len(final)), key=lambda c: -final[c])
    hottest = ', '.join(entry['classes'][c] for c in order[:3])
    agrees = 'agrees with' if rho > 0 else 'is the opposite of'
    return (f'hottest: {hottest}; rank correlation of frequency and final tau {rho:+.2f}, which '
            f'{agrees} the paper\'s figure (head hotter than tail)')


def markdown(summary: dict) -> str:
    lines = [
        '# TDL rules over the shipped update counts', '',
        'Generated by `python benchmarks/tdl_long_horizon.py` (`make benchmark-tdl-long`). Each '
        'rule is replayed in closed loop on recorded BDCL inputs of real CPU runs (see the '
        'script\'s docstring) for the number of temperature updates the shipped config applies. '
        f'"Stopped": the mean temperature over the last 5% of updates differs from the mean over '
        f'the 5% before by less than 1%. "Inside": at least 1% away from both clamps '
        f'[{summary["tau_min"]}, {summary["tau_max"]}]. "Jitter": the standard deviation of '
        f'log tau over the last 5%. Default rule: `{summary["default"]}` (`tdl_lr` '
        f'{summary["tdl_lr"]}, `margin_momentum` {summary["margin_momentum"]}).',
        '', '![tau per class against updates](figures/tdl_long_horizon.png)', ''
    ]
    for name, entry in summary['settings'].items():
        lines += [f'## {name}: {entry["updates"]} updates (recording `{entry["recording"]}`, '
                  f'{entry["recorded_batches"]} batches)', '']
        rows = []
        for rule, result in entry['rules'].items():
            for class_name, row in zip(entry['classes'], result['report']):
                rows.append([rule, class_name, f'{row["final"]:.4f}',
                             'yes' if row['inside'] else 'no', f'{100 * row["drift"]:.2f}%',
                             'yes' if row['stopped'] else 'no', f'{100 * row["jitter"]:.2f}%'])
        lines += [markdown_table(['rule', 'class', 'final tau', 'inside', 'drift', 'stopped',
                                  'jitter'], rows), '']
        memory_rows = []
        for momentum, report in entry['margin_memory'].items():
            memory_rows.append([
                momentum + (' (default)' if float(momentum) == summary['margin_momentum'] else ''),
                f'{1 / float(momentum):.0f}',
                f'{100 * max(r["drift"] for r in report):.2f}%',
                f'{100 * max(r["jitter"] for r in report):.2f}%',
                'yes' if all(r['inside'] for r in report) else 'no',
                'yes' if all(r['stopped'] for r in report) else 'no'])
        lines += [f'`balance` with the running margin estimate of each memory (`margin_momentum`; '
                  f'1 = each update\'s own margins), worst class:', '',
                  markdown_table(['margin_momentum', 'memory (updates)', 'max drift',
                                  'max jitter', 'all inside', 'all stopped'], memory_rows), '']
        default = entry['rules'][summary['default']]['report']
        settled = all(r['inside'] and r['stopped'] for r in default)
        lines += [f'Default rule `{summary["default"]}`: every class inside the clamps and '
                  f'stopped: **{"yes" if settled else "no"}**; '
                  f'{headline(entry, summary["default"])}.', '']
    return '\n'.join(lines)


def plot(summary: dict, path: str) -> None:
    settings = list(summary['settings'])
    figure, _ = new_figure(4.0 * len(RULES), 3.0 * len(settings))
    figure.clear()
    for row, name in enumerate(settings):
        entry = summary['settings'][name]
        for col, rule in enumerate(RULES):
            axes = figure.add_subplot(len(settings), len(RULES), row * len(RULES) + col + 1)
            trace = entry['rules'][rule]['trace']
            for c, class_name in enumerate(entry['classes']):
                axes.plot(trace['updates'], [t[c] for t in trace['taus']], lw=1,
                          label=class_name if len(entry['classes']) <= 12 else None)
            axes.set_yscale('log')
            axes.set_ylim(summary['tau_min'] * 0.9, summary['tau_max'] * 1.1)
            axes.set_title(f'{name}: {rule}', fontsize=9)
            axes.grid(alpha=0.3)
            if col == 0:
                axes.set_ylabel('temperature')
                axes.legend(fontsize=6)
            if row == len(settings) - 1:
                axes.set_xlabel('update')
    figure.tight_layout()
    os.makedirs(osp.dirname(path), exist_ok=True)
    figure.savefig(path, dpi=100)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--work-dir', default='work_dirs/benchmarks/tdl_long')
    parser.add_argument('--results-dir', default=RESULTS_DIR)
    parser.add_argument('--quick', action='store_true', help='tiny runs and 200 updates')
    parser.add_argument('--record', choices=['seg', 'cls'], help=argparse.SUPPRESS)
    parser.add_argument('--out', help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.record:
        record(args.record, args.out, args.work_dir, args.quick)
        return 0
    summary = run(args)
    write_json(osp.join(args.results_dir, 'tdl_long_horizon.json'), summary)
    plot(summary, osp.join(args.results_dir, 'figures', 'tdl_long_horizon.png'))
    write_text(osp.join(args.results_dir, 'tdl_long_horizon.md'), markdown(summary))
    print(f'[done] {rel(osp.join(args.results_dir, "tdl_long_horizon.md"))}', flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
