"""Time a training step of every method of the paper's comparison against CE, side by side.

One table per task, one row per method, each built from its shipped config:

- ``seg``: HRNetV2 + OCR on thyroid ultrasound (``configs/baselines/*_ocrnet_hr48_80k_tui``,
  ``configs/bdcl/hrnet_ocr_tui.py``), the HRNet width set by ``--arch``, on a synthetic batch
  (``benchmark_seg_step.synthetic_batch``);
- ``cls``: the CPU-sized ResNet of the classification benchmark (``configs/fmnist_lt``) on one
  real batch of Fashion-MNIST-LT from each config's own training dataloader (two views for the
  contrastive stage 1s, ``2B`` paired images for Balanced-MixUp): ``--data-root``, or the
  classification benchmark's hard-tail cut (``benchmarks/cls_runs.ensure_data``).

All of a task's models live in one process and step in rounds on their fixed batch, every
method once per round in a rotating order, so each round's steps see the same load. Each round
gives a ratio method / CE; the table reports the median ratio and the distribution-free interval
of that median (``benchmark_seg_step.median_interval``). A step is ``model.train_step``
(preprocessing and batch augment, forward, losses, backward, SGD update) plus the state update a
hook makes after it (BDCL's HEP and TDL, TSC's centroids and assignment); the class counts of
LDAM-DRW and GCL are set once beforehand (DRW's weights do not change the work of a step).
Loading the extra class-balanced batch of Balanced-MixUp is data loading, outside the step::

    python tools/analysis/benchmark_rival_step.py --task seg --arch w18s --batch 2 --size 128
    python tools/analysis/benchmark_rival_step.py --task cls
    python tools/analysis/benchmark_rival_step.py --task seg --device cuda --arch w48 --batch 8
"""
import argparse
import copy
import logging
import os.path as osp
import statistics
import sys
import time
from dataclasses import dataclass
from typing import Dict, List, Tuple

import torch
from mmengine.config import Config
from mmengine.logging import MessageHub, MMLogger
from mmengine.model import revert_sync_batchnorm
from mmengine.optim import OptimWrapper
from mmengine.registry import DefaultScope
from mmengine.runner import Runner

ROOT = osp.abspath(osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))
sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)

from benchmark_seg_step import (ARCHS, _spread, median_interval, synthetic_batch,  # noqa: E402
                                timing_model_config)

from benchmarks import cls_plan, cls_runs  # noqa: E402

from bdcl_mm.engine.hooks.bdcl_hook import find_statistics_losses, update_bdcl_loss  # noqa: E402
from bdcl_mm.models.losses.margin_losses import ClassCountLoss  # noqa: E402

#: task -> (method label, config relative to the repository), CE first
METHODS: Dict[str, Tuple[Tuple[str, str], ...]] = {
    'seg': (
        ('CE', 'configs/baselines/ocrnet_hr48_80k_tui-512x512.py'),
        ('Lovasz', 'configs/baselines/lovasz_ocrnet_hr48_80k_tui-512x512.py'),
        ('LDAM-DRW', 'configs/baselines/ldam-drw_ocrnet_hr48_80k_tui-512x512.py'),
        ('SoftIoU', 'configs/baselines/softiou_ocrnet_hr48_80k_tui-512x512.py'),
        ('TSC', 'configs/baselines/tsc_ocrnet_hr48_80k_tui-512x512.py'),
        ('BDCL', 'configs/bdcl/hrnet_ocr_tui.py'),
    ),
    'cls': (
        ('CE', 'configs/fmnist_lt/ce_resnet18s_200e_fmnist-lt-28.py'),
        ('Focal', 'configs/fmnist_lt/focal_resnet18s_200e_fmnist-lt-28.py'),
        ('LDAM-DRW', 'configs/fmnist_lt/ldam-drw_resnet18s_200e_fmnist-lt-28.py'),
        ('GCL (stage 1)', 'configs/fmnist_lt/gcl_resnet18s_stage1-200e_fmnist-lt-28.py'),
        ('Balanced-MixUp', 'configs/fmnist_lt/bal-mixup_resnet18s_200e_fmnist-lt-28.py'),
        ('TSC (stage 1)', 'configs/fmnist_lt/tsc_resnet18s_stage1-200e_fmnist-lt-28.py'),
        ('BDCL (stage 1)', 'configs/fmnist_lt/bdcl_resnet18s_stage1-200e_fmnist-lt-28.py'),
    ),
}
#: classes of the synthetic segmentation batch and their made-up training pixel counts
SEG_COUNTS = (9.2e6, 5.0e5, 3.0e5)


@dataclass
class Contender:
    """A built model with its optimizer, batch and the losses whose state a hook updates."""
    model: torch.nn.Module
    wrapper: OptimWrapper
    data: dict
    stateful: list


def parse_args(argv=None):
    p = argparse.ArgumentParser(description='Training step time of each rival against CE')
    p.add_argument('--task', choices=sorted(METHODS), required=True)
    p.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    p.add_argument('--arch', choices=sorted(ARCHS), default='w18s', help='seg: HRNetV2 width')
    p.add_argument('--batch', type=int, default=None,
                   help='images per step (default: seg 2, cls 32, the classification benchmark\'s)')
    p.add_argument('--size', type=int, default=128, help='seg: square input side')
    p.add_argument('--data-root', default=None,
                   help='cls: a Fashion-MNIST-LT cut (default: the classification benchmark\'s '
                   'hard-tail cut under data/bench, made when missing)')
    p.add_argument('--reps', type=int, default=9, help='timed rounds')
    p.add_argument('--warmup', type=int, default=1, help='untimed rounds first')
    p.add_argument('--threads', type=int, default=None, help='CPU threads (torch default)')
    p.add_argument('--seed', type=int, default=0)
    args = p.parse_args(argv)
    if args.batch is None:
        args.batch = 2 if args.task == 'seg' else 32
    if args.reps < 1 or args.warmup < 0 or args.batch < 1:
        p.error('need --reps >= 1, --warmup >= 0 and --batch >= 1')
    if args.size < 32 or args.size % 32:
        p.error('--size must be a multiple of 32')
    return args


def _cls_data_root(args) -> str:
    """``--data-root``, or the classification benchmark's hard-tail cut (made when missing)."""
    if args.data_root is not None:
        if not osp.isfile(osp.join(args.data_root, 'meta', 'train.txt')):
            raise ValueError(f'--data-root {args.data_root!r} holds no meta/train.txt: give a '
                             'folder written by tools/dataset_converters/fashion_mnist_lt.py')
        return args.data_root
    return cls_runs.ensure_data(osp.join(ROOT, 'data', 'bench'), 'hard-tail', cls_plan.Settings(),
                                args.device)


def _cls_batch(cfg: Config, root: str, args) -> Tuple[dict, List[int]]:
    """One batch of the config's training dataloader and its dataset's images per class."""
    loader = copy.deepcopy(cfg.train_dataloader)
    loader.dataset.data_root = root
    loader.num_workers = 0
    loader.persistent_workers = False
    loader.batch_size = args.batch
    loader = Runner.build_dataloader(loader, seed=args.seed)
    labels = torch.as_tensor(loader.dataset.get_gt_labels())
    return next(iter(loader)), torch.bincount(labels, minlength=cfg.num_classes).tolist()


def build(args) -> Dict[str, Contender]:
    """Every method of ``args.task`` built, weights seeded alike, with its batch."""
    device = torch.device(args.device)
    out = {}
    scope = 'mmseg' if args.task == 'seg' else 'mmpretrain'
    root = _cls_data_root(args) if args.task == 'cls' else None
    for label, path in METHODS[args.task]:
        if args.task == 'seg':
            model_cfg = timing_model_config(osp.join(ROOT, path), args.size, args.arch)
            from mmseg.registry import MODELS
        else:
            cfg = Config.fromfile(osp.join(ROOT, path))
            model_cfg = cfg.model
            model_cfg.setdefault('data_preprocessor', cfg.get('data_preprocessor'))
            from mmpretrain.registry import MODELS
        torch.manual_seed(args.seed)
        with DefaultScope.overwrite_default_scope(scope):
            model = revert_sync_batchnorm(MODELS.build(model_cfg))
            model.init_weights()
            if args.task == 'seg':
                counts = SEG_COUNTS
                data = synthetic_batch(args.batch, args.size, len(SEG_COUNTS), args.seed)
            else:
                data, counts = _cls_batch(cfg, root, args)
        for module in model.modules():
            if isinstance(module, ClassCountLoss):
                module.set_class_counts(counts)
        model = model.to(device).train()
        optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
        out[label] = Contender(model, OptimWrapper(optimizer=optimizer), data,
                               [loss for _, loss in find_statistics_losses(model)])
    return out


def run(args, contenders: Dict[str, Contender]) -> Dict[str, List[float]]:
    """Step times in ms per method (``contenders`` from :func:`build`) over the timed rounds."""
    device = torch.device(args.device)
    MessageHub.get_current_instance().update_info('iter', 0)
    labels = list(contenders)
    times = {label: [] for label in labels}
    for rnd in range(args.warmup + args.reps):
        shift = rnd % len(labels)
        for label in labels[shift:] + labels[:shift]:
            c = contenders[label]
            data = copy.deepcopy(c.data)  # preprocessors and augments write into the samples
            if device.type == 'cuda':
                torch.cuda.synchronize(device)
            start = time.perf_counter()
            c.model.train_step(data, optim_wrapper=c.wrapper)
            for loss in c.stateful:
                update_bdcl_loss(loss)
            if device.type == 'cuda':
                torch.cuda.synchronize(device)
            if rnd >= args.warmup:
                times[label].append(1000.0 * (time.perf_counter() - start))
    return times


def reading(low: float, high: float) -> str:
    """Whether a method's ratio to CE differs from 1 beyond its interval."""
    if low <= 1.0 <= high:
        return 'within noise (the interval holds 1)'
    return 'slower than CE' if low > 1.0 else 'faster than CE'


def format_table(args, times: Dict[str, List[float]]) -> List[str]:
    """A markdown table, one row per method, ratios to the CE steps of the same rounds."""
    base = times['CE']
    rows, coverage = [], 1.0
    for label, ts in times.items():
        ratios = [t / b for t, b in zip(ts, base)]
        low, high, cov = median_interval(ratios)
        coverage = min(coverage, cov)
        cell = ('1 (reference)', '-', '-') if label == 'CE' else (
            f'{statistics.median(ratios):.3f}', f'[{low:.3f}, {high:.3f}]', reading(low, high))
        rows.append(f'| {label} | {_spread(ts)} | ' + ' | '.join(cell) + ' |')
    setting = (f'HRNetV2-{args.arch.upper()} + OCR, batch {args.batch}, {args.size}x{args.size}'
               if args.task == 'seg' else f'ResNet-18 (stem/base width 16), batch {args.batch}, '
               '28x28 (two views per image for the contrastive stage 1s)')
    return [
        f'{setting}, device {args.device}; {args.reps} rounds after {args.warmup} warm-up, every '
        'method once per round in a rotating order; step times in ms, median (interquartile '
        'range); ratio: median over the rounds of method / CE, interval: distribution-free '
        f'{100 * coverage:.0f}% interval of that median', '',
        '| method | step ms | ratio to CE | interval | reading |',
        '| --- | ---: | ---: | ---: | --- |'
    ] + rows


def main(argv=None) -> Dict[str, List[float]]:
    args = parse_args(argv)
    # stdout is the table: mmengine's INFO lines (weight initialisation, head notices) stay out
    MMLogger.get_current_instance().setLevel(logging.WARNING)
    if args.threads:
        torch.set_num_threads(args.threads)
    times = run(args, build(args))
    print('\n'.join(format_table(args, times)), flush=True)
    return times


if __name__ == '__main__':
    main()
