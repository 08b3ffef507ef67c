"""Classification benchmark on Fashion-MNIST-LT: CE, CE + cRT, SCL + cRT, BDCL + cRT and variants.

    python benchmarks/cls_benchmark.py                       # the CPU-sized sweep (all methods)
    python benchmarks/cls_benchmark.py --orders hard-tail --methods ce,ce_crt,scl_crt,bdcl_crt
    python benchmarks/cls_benchmark.py --aggregate-only      # tables/figures from finished runs
    python benchmarks/cls_benchmark.py --quick --work-dir /tmp/q --results-dir /tmp/q/results
    python benchmarks/cls_benchmark.py --perturb threads2 --methods ce_crt   # noise-floor runs

Each run is ``tools/train.py`` on a config of ``configs/fmnist_lt`` with ``--cfg-options`` (seed,
data root, epochs, batch size) and writes ``RESULTS/runs/cls/<order>/<method>_seed<s>.json``; a
finished run (same settings) is skipped, so an interrupted sweep resumes. Afterwards the results
are aggregated into ``RESULTS/cls_results.{json,md}``, ``RESULTS/tdl_rule.md`` and figures.
With ``--perturb NAME`` (``benchmarks/perturbation.py``) the runs are re-runs under a harmless
perturbation: they go to ``RESULTS/noise/NAME/runs/cls/...`` (work dirs under
``work_dirs/benchmarks/cls_NAME`` by default), never to the main runs, and the aggregate is
``RESULTS/noise_floor.{json,md}`` (``benchmarks/noise_floor.py``) instead of the main tables.
"""
import argparse
import os.path as osp
import sys

if __package__ in (None, ''):
    sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
    __package__ = 'benchmarks'  # noqa: A001

from benchmarks import cls_plan as plan  # noqa: E402
from benchmarks import noise_floor, perturbation  # noqa: E402
from benchmarks.cls_aggregate import aggregate  # noqa: E402
from benchmarks.cls_runs import RunFailed, run_method, run_tsne  # noqa: E402
from benchmarks.common import RESULTS_DIR, rel, repo_path  # noqa: E402

QUICK = dict(methods='ce_crt,bdcl_balance_crt', orders='hard-tail', seeds='0', epochs_stage1=1,
             epochs_stage2=1, subset=100, test_per_class=10, batch_stage1=64, batch_stage2=32)


def parse_args(argv=None):
    d = plan.Settings()
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--methods', default=','.join(plan.METHODS),
                   help=f'comma-separated, from {",".join(plan.METHODS)}')
    p.add_argument('--orders', default=','.join(plan.ORDERS), help='hard-tail,natural')
    p.add_argument('--seeds', default=','.join(map(str, plan.DEFAULT_SEEDS)))
    p.add_argument('--epochs-stage1', type=int, default=d.epochs_stage1)
    p.add_argument('--epochs-stage2', type=int, default=d.epochs_stage2)
    p.add_argument('--subset', type=int, default=d.n_max,
                   help='head-class size n_max (the tail follows the ratio); 6000 = full data')
    p.add_argument('--test-per-class', type=int, default=d.test_per_class,
                   help='balanced test images per class (0 = all 1,000)')
    p.add_argument('--ratio', type=float, default=d.ratio, help='imbalance ratio')
    p.add_argument('--batch-stage1', type=int, default=d.batch_stage1)
    p.add_argument('--batch-stage2', type=int, default=d.batch_stage2)
    p.add_argument('--lr-stage1', type=float, default=d.lr_stage1, help='SGD learning rate')
    p.add_argument('--lr-stage2', type=float, default=d.lr_stage2, help='SGD learning rate')
    p.add_argument('--width', type=int, default=d.width,
                   help='ResNet stem/base channels (features 8x this); the configs use 16')
    p.add_argument('--tdl-lr', type=float, default=None,
                   help='temperature step size of the TDL runs (paper/descent/ascent); default: '
                   'the BDCLLoss default')
    p.add_argument('--device', choices=('cpu', 'cuda'), default='cpu')
    p.add_argument('--perturb', choices=sorted(perturbation.PERTURBATIONS), default=None,
                   help='re-run under a harmless perturbation for the noise floor; results go '
                   'to RESULTS/noise/NAME, apart from the main runs')
    p.add_argument('--work-dir', default=None,
                   help='default: work_dirs/benchmarks/cls (cls_NAME with --perturb NAME)')
    p.add_argument('--data-dir', default=repo_path('data', 'bench'))
    p.add_argument('--results-dir', default=RESULTS_DIR)
    p.add_argument('--aggregate-only', action='store_true', help='no training, only the tables')
    p.add_argument('--tsne-only', action='store_true',
                   help='only draw t-SNE figures of the finished CE/SCL/BDCL stage 1 (first '
                   'order and seed), training a stage 1 again where its checkpoint is gone')
    p.add_argument('--tsne-samples', type=int, default=1000, help='images per t-SNE figure')
    p.add_argument('--quick', action='store_true',
                   help='smoke run: CE + cRT and BDCL + cRT, 1 epoch each, tiny subset')
    args = p.parse_args(argv)
    if args.work_dir is None:
        name = 'cls' if args.perturb is None else f'cls_{args.perturb}'
        args.work_dir = repo_path('work_dirs', 'benchmarks', name)
    if args.perturb is not None and args.tsne_only:
        p.error('--tsne-only draws the main runs; leave out --perturb')
    if args.quick:
        for key, value in QUICK.items():
            setattr(args, key, value)
    if args.tdl_lr is not None and not args.tdl_lr > 0:
        p.error('--tdl-lr must be > 0')
    for name in ('epochs_stage1', 'epochs_stage2', 'batch_stage1', 'batch_stage2', 'width'):
        if getattr(args, name) < 1:
            p.error(f'--{name.replace("_", "-")} must be >= 1')
    if args.subset < args.ratio:
        p.error(f'--subset {args.subset} is below the ratio {args.ratio:g}: the rarest class '
                'would have no image; use --subset >= ratio')
    try:
        args.methods = plan.parse_list(args.methods, list(plan.METHODS), 'method')
        args.orders = plan.parse_list(args.orders, list(plan.ORDERS), 'order')
        args.seeds = [int(s) for s in plan.parse_list(args.seeds, kind='seed')]
    except ValueError as error:
        p.error(str(error))
    return args


def settings_of(args) -> plan.Settings:
    return plan.Settings(ratio=args.ratio, n_max=args.subset,
                         test_per_class=args.test_per_class or None,
                         epochs_stage1=args.epochs_stage1, epochs_stage2=args.epochs_stage2,
                         batch_stage1=args.batch_stage1, batch_stage2=args.batch_stage2,
                         lr_stage1=args.lr_stage1, lr_stage2=args.lr_stage2, width=args.width,
                         extra={} if args.tdl_lr is None else {'tdl_lr': args.tdl_lr},
                         perturb=args.perturb)


def main(argv=None) -> int:
    args = parse_args(argv)
    settings = settings_of(args)
    runs_dir = (args.results_dir if args.perturb is None else
                perturbation.runs_root(args.results_dir, args.perturb))
    paths = dict(work=args.work_dir, data=args.data_dir, results=runs_dir)
    failed = []
    if args.tsne_only:
        run_tsne(args.orders[0], args.seeds[0], settings, paths, args.device,
                 max_samples=args.tsne_samples)
    elif not args.aggregate_only:
        # Priority: every method of an order for one seed before the next seed.
        for order in args.orders:
            for seed in args.seeds:
                for method in args.methods:
                    try:
                        run_method(method, order, seed, settings, paths, args.device)
                    except (RunFailed, FileNotFoundError) as error:
                        failed.append(f'{order} {method} seed {seed}')
                        print(f'[failed] {order} {method} seed {seed}: {error}', flush=True)
    if args.perturb is not None:
        noise_floor.write(args.results_dir)
        print(f'[noise floor] {rel(osp.join(args.results_dir, "noise_floor.md"))}', flush=True)
        if failed:
            print('[failed runs] ' + '; '.join(failed), flush=True)
        return 1 if failed else 0
    summary = aggregate(args.results_dir, settings, args.methods, args.orders, args.seeds,
                        args.work_dir)
    print(f'[aggregate] {rel(osp.join(args.results_dir, "cls_results.md"))}: '
          f'{sum(len(r) for r in summary["tables"].values())} rows, '
          f'{len(summary["not_run"])} missing', flush=True)
    if failed:
        print('[failed runs] ' + '; '.join(failed), flush=True)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
