"""Cost of BDCL: segmentation step time BDCL / CE for every supported model, the step time of every
method of the paper's comparison against CE (segmentation and classification), and the loss's
time / memory against N beside pytorch-metric-learning's SupConLoss.

    python benchmarks/cost_benchmark.py                # CPU-sized (2 threads): W18-small, 128x128
    python benchmarks/cost_benchmark.py --device cuda --full   # the target's setting on a GPU
    python benchmarks/cost_benchmark.py --quick --results-dir /tmp/c

Runs the project's own scripts, ``tools/analysis/benchmark_seg_step.py``,
``tools/analysis/benchmark_rival_step.py`` (not with ``--quick`` or ``--amp``) and
``tools/analysis/benchmark_loss.py``, and captures the tables they print on stdout into
``RESULTS/cost_seg_step.md``, ``RESULTS/cost_rival_{seg,cls}_step.md`` and
``RESULTS/cost_loss.md`` (with the command, machine and date).
Their stderr (library warnings, a traceback) goes to a log beside the stdout log under
``--log-dir``, never into a page; a failed run's page names its exit status and log.
"""
import argparse
import datetime
import os
import os.path as osp
import platform
import sys

if __package__ in (None, ''):
    sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
    __package__ = 'benchmarks'  # noqa: A001

from benchmarks.common import (RESULTS_DIR, rel, repo_path, run_logged,  # noqa: E402
                               shell_command, write_text)


def commands(args) -> dict:
    py = sys.executable
    if args.quick:
        step = ['--quick']
        loss = ['--quick', '--device', 'cpu']
    elif args.full:
        step = ['--device', args.device, '--arch', 'w48', '--batch', '8', '--size', '512']
        loss = ['--device', args.device]
    else:
        step = ['--device', args.device, '--arch', 'w18s', '--batch', '2', '--size', '128',
                '--reps', '9', '--warmup', '1']
        # up to 8k on CPU: the full-matrix losses (SupConLoss most) need ~12 GiB at 16k
        loss = ['--device', args.device, '--sizes', '1024', '2048', '4096', '8192',
                '--chunk-size', '1024', '--repeats', '2']
    if args.models:
        step += ['--models'] + list(args.models)
    if args.amp:
        step.append('--amp')
    out = {
        'seg_step_amp' if args.amp else 'seg_step': [py, 'tools/analysis/benchmark_seg_step.py'] +
        step,
        'loss': [py, 'tools/analysis/benchmark_loss.py'] + loss,
    }
    if not args.quick and not args.amp:
        rival = [py, 'tools/analysis/benchmark_rival_step.py', '--device', args.device]
        seg = (['--arch', 'w48', '--batch', '8', '--size', '512'] if args.full else
               ['--arch', 'w18s', '--batch', '2', '--size', '128', '--reps', '9', '--warmup', '1'])
        out['rival_seg_step'] = rival + ['--task', 'seg'] + seg
        out['rival_cls_step'] = rival + ['--task', 'cls', '--reps', '9', '--warmup', '1']
    return out


def machine() -> str:
    load = ', '.join(f'{x:.2f}' for x in os.getloadavg())
    return (f'{platform.machine()} {platform.processor() or ""}'.strip() +
            f', {os.cpu_count()} CPU cores, OMP_NUM_THREADS='
            f'{os.environ.get("OMP_NUM_THREADS", "unset")}, load average {load} at the start')


TITLES = {
    'seg_step': ('Cost: segmentation training step, CE + BDCL against CE, every supported model',
                 'One row per model: its shipped BDCL config against the same config without the '
                 'BDCL term, same weights, stepped in interleaved pairs in one process so both '
                 'see the same load. Each pair gives a ratio BDCL / CE; the interval is the '
                 'spread of their median, and a ratio whose interval holds 1 differs from 1 by '
                 'no more than the timing noise. The BDCL step does the CE step\'s work and '
                 'more, so a ratio below 1 is noise, never a saving. The target '
                 '(docs/benchmarks.md) is at most 1.05x with HRNetV2-W48 + OCR, batch 8, '
                 '512x512 on a GPU.'),
    'seg_step_amp': ('Cost: segmentation training step with AMP (fp16 autocast), CE + BDCL '
                     'against CE', 'As the fp32 table, every step under mmengine\'s '
                     'AmpOptimWrapper.'),
    'rival_seg_step': ('Cost: segmentation training step of every method of the paper\'s '
                       'comparison, against CE',
                       'HRNetV2 + OCR from each method\'s shipped config '
                       '(configs/baselines, configs/bdcl/hrnet_ocr_tui.py), all in one process, '
                       'stepped in rounds on the same synthetic batch, every method once per '
                       'round in a rotating order; each round gives a ratio method / CE. A step '
                       'includes the state update its hook makes (TSC, BDCL). Focal is left out '
                       'on CPU: mmseg 1.2.2\'s FocalLoss fails off CUDA (it one-hot encodes '
                       'the target wrongly on that path).'),
    'rival_cls_step': ('Cost: classification training step of every method of the paper\'s '
                       'comparison, against CE',
                       'The Fashion-MNIST-LT benchmark\'s ResNet from each method\'s config '
                       '(configs/fmnist_lt), each on a real batch of its own training '
                       'dataloader, stepped in rounds as the segmentation table. The '
                       'contrastive stage 1s (TSC, BDCL) see two views per image; '
                       'Balanced-MixUp\'s step mixes its instance and class-balanced batches '
                       '(loading the second batch is outside the step).'),
    'loss': ('Cost: BDCL loss time and memory against N, chunked against unchunked',
             'Forward + backward of the loss alone, N anchors of D = 256 in 3 classes. "naive" '
             'is the usual masked (N, N) SupCon, the quadratic-memory baseline; "full" is BDCL '
             'on the full matrix, "chunk" BDCL streamed in anchor chunks, "pml" '
             'pytorch-metric-learning\'s SupConLoss ("pml-ours": its value minus ours at equal '
             'temperatures and no prototypes). Memory is the peak '
             'above the inputs: the CUDA allocator\'s on a GPU, the peak resident set (VmHWM, '
             'large blocks mapped and unmapped directly) on CPU. A cell marked skip would not '
             'have fitted in the free memory (extrapolated from the previous N).'),
}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--device', choices=('cpu', 'cuda'), default='cpu')
    p.add_argument('--full', action='store_true',
                   help='the target\'s GPU setting: HRNetV2-W48 + OCR, batch 8, 512x512')
    p.add_argument('--quick', action='store_true', help='smoke run (the scripts\' --quick)')
    p.add_argument('--only', choices=('seg_step', 'loss', 'rival'),
                   help='run one of them (rival: both rival tables)')
    p.add_argument('--amp', action='store_true', help='step benchmark under AMP (CUDA only); '
                   'writes cost_seg_step_amp.md')
    p.add_argument('--models', nargs='+', help='models of the step benchmark (default: all)')
    p.add_argument('--results-dir', default=RESULTS_DIR)
    p.add_argument('--log-dir', default=repo_path('work_dirs', 'benchmarks', 'cost'),
                   help='stdout and stderr logs of the runs (not part of the pages)')
    args = p.parse_args(argv)
    failed = 0
    for name, cmd in commands(args).items():
        if args.only and not name.startswith(args.only):
            continue
        where = machine()
        log = osp.join(args.log_dir, f'cost_{name}.log')
        err = osp.join(args.log_dir, f'cost_{name}.stderr.log')
        code, wall = run_logged(cmd, log, args.device, stderr_path=err)
        if code == 0:
            with open(log, encoding='utf-8') as f:
                output = f.read().split('\n', 1)[1]
        else:
            output = (f'no table: the run failed; its stderr is {osp.basename(err)} in the '
                      '--log-dir of benchmarks/cost_benchmark.py')
        title, note = TITLES[name]
        status = 'ok' if code == 0 else f'FAILED (exit {code})'
        text = '\n'.join([
            f'# {title} (generated by `benchmarks/cost_benchmark.py`; do not edit)', '',
            note, '', f'- command: `{shell_command(cmd)}`',
            f'- machine: {where}; device {args.device}; run {status} in {wall:.0f} s, '
            f'{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC', '',
            '```', output.strip(), '```', ''])
        out = osp.join(args.results_dir, f'cost_{name}.md')
        write_text(out, text)
        print(f'[cost] {name}: {status} -> {rel(out)}', flush=True)
        failed += code != 0
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
