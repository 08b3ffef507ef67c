"""Cut Fashion-MNIST-LT (CIFAR-LT profile) from Debian's dataset-fashion-mnist files.

    python tools/dataset_converters/fashion_mnist_lt.py data/fmnist_lt [--ratio 100]
        [--order natural|hard-tail] [--seed 0] [--force]

Needs `apt-get install dataset-fashion-mnist` (or --src with the four idx .gz files).
"""
import argparse
import sys

from bdcl_mm.datasets.converters import ORDERS, convert_fmnist_lt


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('out', nargs='?', default='data/fmnist_lt', help='output folder')
    parser.add_argument('--src', help='folder of the idx files (default: Debian\'s)')
    parser.add_argument('--ratio', type=float, default=100.0, help='imbalance ratio n_max/n_min')
    parser.add_argument(
        '--order', choices=sorted(ORDERS), default='natural', help='which classes form the tail')
    parser.add_argument('--seed', type=int, default=0, help='seed of the draw')
    parser.add_argument('--n-max', type=int, help='head-class size (default 6000)')
    parser.add_argument(
        '--test-per-class', type=int, help='keep only this many test images per class (quick runs)')
    parser.add_argument('--force', action='store_true', help='replace an existing OUT')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    try:
        table = convert_fmnist_lt(
            args.out,
            src=args.src,
            ratio=args.ratio,
            order=args.order,
            seed=args.seed,
            n_max=args.n_max,
            test_per_class=args.test_per_class,
            force=args.force)
    except ValueError as error:  # ConversionError and bad arguments
        sys.exit(f'error: {error}')
    print(table)
    print(f'wrote {args.out} (order {args.order}, ratio {args.ratio:g}, seed {args.seed})')


if __name__ == '__main__':
    main()
