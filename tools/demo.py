"""``make demo``: BDCL segmentation end to end on a small synthetic thyroid-ultrasound set, on CPU.

1. writes ``data/TUI_demo`` (160 train / 40 val images, 128x128, seed 0) unless it already exists;
   an existing but incomplete set (say, from an interrupted older run) stops the demo with the
   command that regenerates it;
2. trains ``configs/demo/bdcl_ocrnet_hr18s_600it_tui-demo-128x128.py`` (HRNetV2-W18-small + OCR
   with the BDCL head, from scratch) with ``tools/train.py``;
3. evaluates the last checkpoint with ``tools/test.py`` and prints per-class IoU / Dice and mIoU,
   and per-class Dice / HD95 / ASSD (``SurfaceDistanceMetric``, pixels).

    python tools/demo.py [--data-root data/TUI_demo] [--work-dir work_dirs/demo] [--iters N]

It prints its own duration. The numbers are on synthetic data and only show that the
whole pipeline runs; docs/segmentation.md "Data" describes real data.
"""
import argparse
import os
import os.path as osp
import shlex
import subprocess
import sys
import time
from typing import List

from bdcl_mm.datasets.synthetic_us import incomplete_reason

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG = osp.join(ROOT, 'configs', 'demo', 'bdcl_ocrnet_hr18s_600it_tui-demo-128x128.py')
GENERATOR = osp.join(ROOT, 'tools', 'dataset_converters', 'thyroid_us_synth.py')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Synthetic thyroid-ultrasound BDCL demo (CPU)')
    parser.add_argument('--data-root', default=osp.join(ROOT, 'data', 'TUI_demo'))
    parser.add_argument('--work-dir', default=osp.join(ROOT, 'work_dirs', 'demo'))
    parser.add_argument('--iters', type=int, default=None, help='training iterations (config: 600)')
    parser.add_argument('--num-train', type=int, default=160)
    parser.add_argument('--num-val', type=int, default=40)
    return parser.parse_args(argv)


def run(*args: str) -> None:
    print('+ ' + ' '.join(args), flush=True)
    subprocess.run([sys.executable, *args], cwd=ROOT, check=True)


def generator_args(args: argparse.Namespace) -> List[str]:
    """The generator's command line (script first) that writes the demo set."""
    return [
        GENERATOR, args.data_root, '--num-train',
        str(args.num_train), '--num-val',
        str(args.num_val), '--size', '128', '--seed', '0'
    ]


def short_path(path: str) -> str:
    """``path`` relative to the current folder when it lies below it, else absolute."""
    relative = osp.relpath(path)
    return path if relative.startswith(os.pardir) else relative


def check_existing_set(args: argparse.Namespace) -> bool:
    """Whether a complete demo set exists; an incomplete one stops with the command to redo it.

    Raises:
        SystemExit: ``--data-root`` holds files but not a complete generated set.
    """
    root = args.data_root
    if not osp.isdir(root) or not os.listdir(root):
        return False
    reason = incomplete_reason(root)
    if reason is None:
        return True
    script, *options = generator_args(args)
    command = [short_path(p) for p in (sys.executable, script, root)] + options[1:] + ['--force']
    raise SystemExit(f'{root} holds an incomplete synthetic set: {reason}. Regenerate it with\n\n'
                     f'    {shlex.join(command)}\n\n'
                     f'(or remove {root}) and run the demo again.')


def main(argv=None) -> None:
    args = parse_args(argv)
    args.data_root = osp.abspath(args.data_root)
    start = time.perf_counter()
    if check_existing_set(args):
        print(f'using the existing synthetic set in {args.data_root}')
    else:
        run(*generator_args(args))
    options = [
        f'train_dataloader.dataset.data_root={args.data_root}',
        f'val_dataloader.dataset.data_root={args.data_root}',
        f'test_dataloader.dataset.data_root={args.data_root}',
    ]
    if args.iters is not None:
        options += [
            f'train_cfg.max_iters={args.iters}', f'train_cfg.val_interval={args.iters}',
            f'param_scheduler.0.end={args.iters}', f'default_hooks.checkpoint.interval={args.iters}'
        ]
    run(osp.join(ROOT, 'tools', 'train.py'), CONFIG, '--work-dir', args.work_dir, '--cfg-options',
        *options)
    with open(osp.join(args.work_dir, 'last_checkpoint')) as f:
        checkpoint = f.read().strip()
    run(osp.join(ROOT, 'tools', 'test.py'), CONFIG, checkpoint, '--work-dir',
        osp.join(args.work_dir, 'test'), '--cfg-options', *options)
    print(f'demo finished in {(time.perf_counter() - start) / 60:.1f} min; per-class IoU / Dice '
          f'and mIoU, and HD95 / ASSD in pixels, are in the tables above (synthetic data).')


if __name__ == '__main__':
    main()
