"""What each TDL rule equalises across classes at its equilibrium, on recorded real features.

    python benchmarks/tdl_balance_audit.py               # record (if needed), replay, measure, write
    python benchmarks/tdl_balance_audit.py --quick --work-dir /tmp/a --results-dir /tmp/a/res

Recordings: those of ``benchmarks/tdl_long_horizon.py`` (the same ``--work-dir``, made by it when
missing): the BDCL inputs of the demo segmentation model and of the Fashion-MNIST-LT stage 1.
For each recording, every rule is replayed (``benchmarks/tdl_replay.py``) for the update count of
a shipped config (HRNet-OCR TUI for ``seg``, the ISIC2019 stage 1 for ``cls``), and its
equilibrium is the geometric mean of each class's temperature over the last 5% of the updates
(``'none'``: ``tau_init``). At those temperatures, over the recording's last tenth (the batches the
final updates draw), it measures per class, as means over the anchors that have a negative:

* ``negative_mass``: ``Q_i = sum_{n in N(i)} q_in``, the softmax mass the anchor puts on its
  negatives (items and prototypes of other classes);
* ``negative_gradient``: ``Q_i / tau_c``, the total weight of the negatives in the loss gradient
  as the paper writes it (``dL(i)/ds_in = q_in / tau_c``);
* ``logit_gap``: ``margin_c / tau_c``, the quantity ``'balance'`` equalises (``margin_c`` the mean
  over the anchors of mean positive minus mean negative similarity).

and reports each quantity's max/min ratio across the classes. It also checks, at random
initialisation of the demo model, whether ``'balance'`` has an interior equilibrium
(:func:`bdcl_mm.models.losses.balance_is_interior`), and measures the drift of the temperatures
over the last 10% of the committed real runs (``docs/results/runs``). Writes
``RESULTS/tdl_balance_audit.{md,json}``.
"""
import argparse
import glob
import math
import os.path as osp
import sys
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

if __package__ in (None, ''):
    sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
    __package__ = 'benchmarks'  # noqa: A001

from benchmarks.common import (RESULTS_DIR, markdown_table, read_json, rel,  # noqa: E402
                               repo_path, write_json, write_text)

RULES = ('balance', 'paper', 'descent', 'ascent', 'none')
QUANTITIES = ('negative_mass', 'negative_gradient', 'logit_gap')
#: The shipped setting whose update count each recording is replayed for.
SETTINGS = {'seg': 'hrnet_ocr_tui', 'cls': 'isic2019_stage1'}
#: Share of the final updates over which the equilibrium is averaged.
EQUILIBRIUM_WINDOW = 0.05
#: Share of a real run's temperature updates over which its drift is measured.
DRIFT_WINDOW = 0.10
#: Forward passes of the demo model at random initialisation.
INIT_BATCHES = 8


@dataclass
class ClassSums:
    """Per-class sums over the anchors that have a negative (``(C,)`` float64 each)."""
    anchors: Tensor
    negative_mass: Tensor
    margin: Tensor

    def __add__(self, other: 'ClassSums') -> 'ClassSums':
        return ClassSums(self.anchors + other.anchors, self.negative_mass + other.negative_mass,
                         self.margin + other.margin)


@torch.no_grad()
def class_sums(features: Tensor, labels: Tensor, taus: Tensor,
               prototypes: Optional[Tensor] = None,
               prototype_valid: Optional[Tensor] = None) -> ClassSums:
    """Sums of ``Q_i`` and of the margin over each class's anchors, at temperatures ``taus``.

    The denominator set of anchor ``i`` is every other item and every valid prototype; ``i`` is
    an anchor when it has a positive (another item of its class, or its valid prototype) and a
    negative. ``q_ia = softmax_a(s_ia / tau_{y_i})``; ``Q_i`` sums it over the items and
    prototypes of other classes; the margin is ``mean_{P+(i)} s - mean_{N(i)} s``.

    Args:
        features (Tensor): ``(N, D)`` embeddings (normalised here).
        labels (Tensor): ``(N,)`` classes in ``[0, C)``.
        taus (Tensor): ``(C,)`` temperatures.
        prototypes (Tensor | None): ``(C, D)`` unit prototypes.
        prototype_valid (Tensor | None): ``(C,)`` bool.
    """
    num_classes = len(taus)
    z = F.normalize(features.double(), dim=1)
    labels = labels.long()
    n = len(labels)
    sim = z @ z.t()
    other = ~torch.eye(n, dtype=torch.bool)
    same = (labels[:, None] == labels[None, :]) & other
    different = labels[:, None] != labels[None, :]
    if prototypes is not None:
        valid = (torch.ones(num_classes, dtype=torch.bool)
                 if prototype_valid is None else prototype_valid.bool())
        proto_sim = z @ F.normalize(prototypes.double(), dim=1).t()
        own = F.one_hot(labels, num_classes).bool()
        sim = torch.cat([sim, proto_sim], dim=1)
        member = torch.cat([other, valid[None, :].expand(n, -1)], dim=1)
        same = torch.cat([same, own & valid[None, :]], dim=1)
        different = torch.cat([different, ~own & valid[None, :]], dim=1)
    else:
        member = other
    logits = (sim / taus.double()[labels][:, None]).masked_fill(~member, -math.inf)
    q = torch.softmax(logits, dim=1)
    mass = (q * different).sum(dim=1)
    pos_count, neg_count = same.sum(dim=1), different.sum(dim=1)
    margin = ((sim * same).sum(dim=1) / pos_count.clamp(min=1) -
              (sim * different).sum(dim=1) / neg_count.clamp(min=1))
    anchor = (pos_count > 0) & (neg_count > 0)
    zeros = torch.zeros(num_classes, dtype=torch.float64)
    return ClassSums(zeros.index_add(0, labels[anchor], torch.ones(int(anchor.sum()),
                                                                   dtype=torch.float64)),
                     zeros.index_add(0, labels[anchor], mass[anchor]),
                     zeros.index_add(0, labels[anchor], margin[anchor]))


def class_quantities(sums: ClassSums, taus: Tensor) -> Dict[str, List[Optional[float]]]:
    """Per class (None where a class has no anchor): the three quantities of the module."""
    present = sums.anchors > 0
    count = sums.anchors.clamp(min=1)
    mass = sums.negative_mass / count
    values = {
        'negative_mass': mass,
        'negative_gradient': mass / taus.double(),
        'logit_gap': sums.margin / count / taus.double(),
    }
    return {name: [float(v) if p else None for v, p in zip(value, present)]
            for name, value in values.items()}


def spread(values: Sequence[Optional[float]]) -> Optional[float]:
    """max/min across the classes that have a (positive) value."""
    kept = [v for v in values if v is not None and v > 0]
    return max(kept) / min(kept) if len(kept) > 1 else None


def equilibrium(trace: dict, window: float = EQUILIBRIUM_WINDOW) -> List[float]:
    """Geometric mean of each class's temperature over the last ``window`` of a replay trace."""
    updates = torch.tensor(trace['updates'], dtype=torch.float64)
    taus = torch.tensor(trace['taus'], dtype=torch.float64)
    late = updates > float(updates[-1]) * (1 - window)
    return taus[late].log().mean(dim=0).exp().tolist()


def run_drift(history: dict, start: int = 0, window: float = DRIFT_WINDOW) -> List[dict]:
    """Per class, how a real run's temperature moved over its last ``window`` of updates.

    Args:
        history (dict): ``{'iterations': [...], 'temperatures': {class: [...]}}`` as a run's
            ``temperature_history``.
        start (int): the first iteration that updates the temperatures (the contrast warm-up).
        window (float): share of the updates ``(start, last]`` measured.

    Returns:
        list[dict]: ``change`` (``|tau_end - tau_window_start| / tau_window_start``) and
        ``halves`` (relative change between the means over the window's two halves, the
        replay's "stopped" measure) per class.
    """
    iterations = torch.tensor(history['iterations'], dtype=torch.float64)
    last = float(iterations[-1])
    begin = last - window * (last - start)
    inside = iterations >= begin
    half = iterations > last - window * (last - start) / 2
    rows = []
    for name, values in history['temperatures'].items():
        tau = torch.tensor(values, dtype=torch.float64)
        first = float(tau[inside][0])
        a, b = float(tau[inside & ~half].mean()), float(tau[half].mean())
        rows.append(dict(cls=name, change=abs(float(tau[-1]) - first) / first,
                         halves=abs(b - a) / a))
    return rows


def committed_drifts(runs_dir: str) -> List[dict]:
    """:func:`run_drift` of every committed default-rule run with a temperature history."""
    from .tdl_replay import STOP_TOLERANCE
    found = []
    for path in sorted(glob.glob(osp.join(runs_dir, 'seg', 'bdcl_seed*.json'))):
        run = read_json(path)
        found.append(dict(run=rel(path), iterations=run['settings']['iters'],
                          updates=run['settings']['iters'] - run['settings']['warmup'],
                          classes=run_drift(run['temperature_history'],
                                            run['settings']['warmup'])))
    for path in sorted(glob.glob(osp.join(runs_dir, 'cls', '*', 'stage1_bdcl_balance_seed*.json'))):
        run = read_json(path)
        history = run['temperature_history']
        found.append(dict(run=rel(path), iterations=history['iterations'][-1],
                          updates=history['iterations'][-1], classes=run_drift(history)))
    for entry in found:
        entry['stopped'] = all(c['halves'] < STOP_TOLERANCE for c in entry['classes'])
    return found


def against_fixed(rules: Dict[str, dict], rule: str = 'balance') -> Dict[str, Optional[bool]]:
    """Per quantity: whether ``rule``'s max/min is below that of the fixed temperature."""
    out = {}
    for q in QUANTITIES:
        a, b = rules[rule]['spread'][q], rules['none']['spread'][q]
        out[q] = None if a is None or b is None else a < b
    return out


def measure(recording: dict, rule_taus: Dict[str, List[float]]) -> Dict[str, dict]:
    """Per rule: its temperatures, the per-class quantities and their spreads."""
    from .tdl_replay import RecordedBatch
    batches = recording['batches']
    tail = batches[len(batches) - max(1, len(batches) // 10):]
    out = {}
    for rule, taus in rule_taus.items():
        tau = torch.tensor(taus, dtype=torch.float64)
        total = None
        for entry in tail:
            b = RecordedBatch(**entry)
            sums = class_sums(b.features, b.labels, tau, b.prototypes, b.prototype_valid)
            total = sums if total is None else total + sums
        values = class_quantities(total, tau)
        out[rule] = dict(taus=taus, values=values,
                         spread={name: spread(v) for name, v in values.items()})
    return out


def random_init(work_dir: str, quick: bool) -> dict:
    """The demo model at random initialisation: its class margins and where 'balance' settles."""
    from mmengine.logging import MessageHub

    from bdcl_mm.engine.hooks import find_bdcl_losses
    from bdcl_mm.engine.launch import build_runner, load_config
    from bdcl_mm.models.losses import (balance_equilibrium, balance_is_interior,
                                       balance_target)
    from .seg_benchmark import SegSettings
    from .seg_benchmark import ensure_data as seg_data
    from .tdl_long_horizon import SEG_CFG, TUI_CFG, TUI_SAMPLING
    from mmengine.config import Config
    s = SegSettings(num_train=4, num_val=2, iters=6, batch=2, warmup=2) if quick else \
        SegSettings()
    root = seg_data(osp.join(work_dir, 'data'), s, 'cpu')
    head = 'model.decode_head.1.'
    options = {f'{loader}.dataset.data_root': rel(root)
               for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')}
    options.update({'randomness.seed': 0, 'train_dataloader.batch_size': s.batch,
                    head + 'contrast_warmup_iters': 0})
    tui_head = Config.fromfile(TUI_CFG, import_custom_modules=False).model.decode_head[1]
    options.update({head + name: tui_head[name] for name in TUI_SAMPLING})
    cfg = load_config(SEG_CFG, options)
    cfg.work_dir = osp.join(work_dir, 'random_init')
    runner = build_runner(cfg)
    MessageHub.get_current_instance().update_info('iter', 0)
    (_, loss), = find_bdcl_losses(runner.model)
    sums = []

    def capture(module, args, kwargs):
        features, labels = args[0], args[1]
        keep = labels != module.ignore_index
        sums.append(class_sums(features.detach()[keep], labels[keep], module.temperatures))

    handle = loss.register_forward_pre_hook(capture, with_kwargs=True)
    model = runner.model
    model.train()
    # the loop's own iterator: a second iterator over the InfiniteSampler would close the one
    # the loop holds (its shared index generator) and yield nothing
    batches = runner.train_loop.dataloader_iterator
    with torch.no_grad():
        for _ in range(2 if quick else INIT_BATCHES):
            model(**model.data_preprocessor(next(batches), True), mode='loss')
    handle.remove()
    total = sums[0]
    for other in sums[1:]:
        total = total + other
    margins = total.margin / total.anchors.clamp(min=1)
    args = (loss.tau_init, loss.tau_min, loss.tau_max)
    fixed = balance_equilibrium(margins, *args, loss.tdl_lr)
    return dict(classes=list(runner.train_dataloader.dataset.metainfo['classes']),
                batches=len(sums), margins=margins.tolist(),
                ratio_to_gm=(margins / margins.log().mean().exp()).tolist(),
                target=balance_target(margins, loss.tau_init).tolist(),
                interior=balance_is_interior(margins, *args), equilibrium=fixed.tolist(),
                equilibrium_gm=math.exp(float(fixed.log().mean())), tdl_lr=loss.tdl_lr,
                tau_init=loss.tau_init, tau_min=loss.tau_min, tau_max=loss.tau_max)


def run(args) -> dict:
    from bdcl_mm.models.losses import BDCLLoss
    from .tdl_long_horizon import ensure_recordings, load_tables, shipped_update_counts
    from .tdl_replay import replay, temperature_grid
    defaults = BDCLLoss(1, 1)
    tau_min, tau_max, tau_init = defaults.tau_min, defaults.tau_max, defaults.tau_init
    grid = temperature_grid(tau_min, tau_max, 9 if args.quick else 33)
    paths = ensure_recordings(args.work_dir, args.quick)
    counts = shipped_update_counts()
    summary = dict(tau_min=tau_min, tau_max=tau_max, tau_init=tau_init, default=defaults.tdl,
                   tdl_lr=defaults.tdl_lr, tasks={})
    for kind, setting in SETTINGS.items():
        recording = load_tables(paths[kind], grid)
        updates = 200 if args.quick else counts[setting]
        rule_taus = {}
        for rule in RULES:
            if rule == 'none':
                rule_taus[rule] = [tau_init] * recording['num_classes']
                continue
            trace = replay(recording['tables'], rule, updates, grid, recording['feat_dim'],
                           tau_init=tau_init, tau_min=tau_min, tau_max=tau_max)
            rule_taus[rule] = equilibrium(trace)
        summary['tasks'][kind] = dict(setting=setting, updates=updates,
                                      classes=recording['classes'],
                                      recording_config=recording['config'],
                                      measured_batches=max(1, len(recording['batches']) // 10),
                                      rules=measure(recording, rule_taus))
        summary['tasks'][kind]['closer_than_fixed'] = against_fixed(
            summary['tasks'][kind]['rules'], defaults.tdl)
        print(f'[audit] {kind}: ' + ', '.join(
            f'{rule} {r["spread"]}' for rule, r in summary['tasks'][kind]['rules'].items()),
            flush=True)
    summary['random_init'] = random_init(args.work_dir, args.quick)
    summary['drift'] = committed_drifts(repo_path('docs', 'results', 'runs'))
    return summary


def _closer(closer: Optional[bool]) -> str:
    return 'not measured' if closer is None else 'closer' if closer else 'further apart'


def _fmt(value: Optional[float], digits: int = 3) -> str:
    return '-' if value is None else f'{value:.{digits}f}'


def markdown(summary: dict) -> str:
    lines = [
        '# What each temperature rule balances across classes', '',
        'Generated by `python benchmarks/tdl_balance_audit.py`. Each rule is replayed in closed '
        'loop on recorded BDCL inputs of a real CPU run (the recordings of '
        '`benchmarks/tdl_long_horizon.py`) for the update count of a shipped config; its '
        'equilibrium is the geometric mean of each temperature over the last 5% of the updates '
        f'(`none`: fixed at {summary["tau_init"]}). At those temperatures, over the last tenth '
        'of the recorded batches, per class (means over the anchors that have a negative): '
        '**negative mass** `Q = sum_n q_in` (softmax mass on the negatives), **negative '
        'gradient** `Q / tau_c` (the negatives\' weight in the gradient as the paper writes it, '
        '`dL/ds_in = q_in / tau_c`), **logit gap** `margin_c / tau_c`. The tables give each '
        'quantity\'s max/min ratio across the classes (1 = balanced).', ''
    ]
    for kind, task in summary['tasks'].items():
        lines += [f'## `{kind}`: {task["setting"]}, {task["updates"]} updates '
                  f'(recording of `{task["recording_config"]}`, last {task["measured_batches"]} '
                  'batches measured)', '']
        rows = [[rule + (' (default)' if rule == summary['default'] else '')] +
                [_fmt(r['spread'][q]) for q in QUANTITIES] +
                [f'{min(r["taus"]):.4f} - {max(r["taus"]):.4f}']
                for rule, r in task['rules'].items()]
        lines += [markdown_table(['rule', 'negative mass max/min', 'negative gradient max/min',
                                  'logit gap max/min', 'tau range'], rows), '']
        closer = task['closer_than_fixed']
        lines += [f'Against a fixed temperature (`none`), the default `{summary["default"]}` '
                  'brings the classes\' ' + '; '.join(
                      f'{q.replace("_", " ")} {_closer(closer[q])}' for q in QUANTITIES) + '.',
                  '']
        if len(task['classes']) <= 4:
            per_class = []
            for rule, r in task['rules'].items():
                for c, name in enumerate(task['classes']):
                    per_class.append([rule, name, f'{r["taus"][c]:.4f}'] +
                                     [_fmt(r['values'][q][c], 4) for q in QUANTITIES])
            lines += [markdown_table(['rule', 'class', 'tau', 'negative mass',
                                      'negative gradient', 'logit gap'], per_class), '']
    init = summary['random_init']
    lines += [
        '## `balance` at random initialisation (demo model)', '',
        f'Class margins of the demo segmentation model before any training step '
        f'({init["batches"]} forward passes, HRNet-OCR sampling), the unclamped equilibrium '
        f'`tau_init * m_c / GM(m)` and the clamped fixed point of the update at `tdl_lr` '
        f'{init["tdl_lr"]} (`bdcl_mm.models.losses.balance_equilibrium`). Interior '
        f'(every `m_c / GM(m)` inside ({init["tau_min"] / init["tau_init"]:.2f}, '
        f'{init["tau_max"] / init["tau_init"]:.2f})): **{"yes" if init["interior"] else "no"}**; '
        f'geometric mean of the fixed point {init["equilibrium_gm"]:.4f}.', '',
        markdown_table(['class', 'margin', 'margin / GM', 'unclamped tau', 'fixed point tau'],
                       [[name, f'{init["margins"][c]:.4f}', f'{init["ratio_to_gm"][c]:.3f}',
                         f'{init["target"][c]:.4f}', f'{init["equilibrium"][c]:.4f}']
                        for c, name in enumerate(init['classes'])]), '']
    drift_rows = [[d['run'], str(d['iterations']), str(d['updates']),
                   f'{100 * min(c["change"] for c in d["classes"]):.2f}% - '
                   f'{100 * max(c["change"] for c in d["classes"]):.2f}%',
                   f'{100 * max(c["halves"] for c in d["classes"]):.2f}%',
                   'yes' if d['stopped'] else 'no']
                  for d in summary['drift']]
    from .tdl_replay import STOP_TOLERANCE
    stopped = {}
    for d in summary['drift']:
        group = osp.dirname(d['run']).split('runs/', 1)[1]  # seg, cls/hard-tail, cls/natural
        stopped.setdefault(group, []).append(d['stopped'])
    lines += [
        '## Drift of real runs (default rule)', '',
        f'The committed runs\' temperature histories, over the last {100 * DRIFT_WINDOW:.0f}% of '
        'their temperature updates: the change of each class\'s temperature across that window '
        '(range over the classes), and the largest change between the means over its two '
        'halves (the replay\'s "stopped" measure: stopped when it is below '
        f'{100 * STOP_TOLERANCE:.0f}% for every class).', '',
        markdown_table(['run', 'iterations', 'updates', 'change over the window',
                        'max change between halves', 'stopped'], drift_rows), '',
        'Stopped by that measure: ' + '; '.join(
            f'`{group}` {sum(flags)} of {len(flags)} runs'
            for group, flags in stopped.items()) + '.', '']
    return '\n'.join(lines)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--work-dir', default='work_dirs/benchmarks/tdl_long')
    parser.add_argument('--results-dir', default=RESULTS_DIR)
    parser.add_argument('--quick', action='store_true', help='tiny recordings and 200 updates')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(1)
    summary = run(args)
    write_json(osp.join(args.results_dir, 'tdl_balance_audit.json'), summary)
    write_text(osp.join(args.results_dir, 'tdl_balance_audit.md'), markdown(summary))
    print(f'[done] {rel(osp.join(args.results_dir, "tdl_balance_audit.md"))}', flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
