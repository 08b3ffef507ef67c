"""Convert Hyper-Kvasir's labelled images to mmpretrain annotation files (seeded 8:2 split).

    python tools/dataset_converters/hyper_kvasir.py SRC data/hyper_kvasir [--seed 0] [--force]

SRC is labeled-images/ (or the folder that holds it): <tract>/<category>/<class>/*.jpg.
"""
import argparse
import sys

from bdcl_mm.datasets.converters import convert_hyper_kvasir


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('src', help='labeled-images folder of Hyper-Kvasir (or its parent)')
    parser.add_argument('out', nargs='?', default='data/hyper_kvasir', help='output folder')
    parser.add_argument('--seed', type=int, default=0, help='seed of the split')
    parser.add_argument('--val-ratio', type=float, default=0.2, help='val fraction per class')
    parser.add_argument(
        '--copy',
        action='store_true',
        help='copy the images into OUT/images (default: symlink the folder)')
    parser.add_argument('--force', action='store_true', help='replace an existing OUT')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    try:
        table = convert_hyper_kvasir(
            args.src,
            args.out,
            seed=args.seed,
            val_ratio=args.val_ratio,
            copy=args.copy,
            force=args.force)
    except ValueError as error:  # ConversionError and bad arguments
        sys.exit(f'error: {error}')
    print(table)
    print(f'wrote {args.out}/meta (split seed {args.seed})')


if __name__ == '__main__':
    main()
