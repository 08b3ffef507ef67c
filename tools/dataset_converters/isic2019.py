"""Convert ISIC 2019 to mmpretrain annotation files with a seeded stratified 8:2 split.

    python tools/dataset_converters/isic2019.py SRC data/isic2019 [--seed 0] [--copy] [--force]

SRC holds ISIC_2019_Training_Input/ and ISIC_2019_Training_GroundTruth.csv.
"""
import argparse
import sys

from bdcl_mm.datasets.converters import convert_isic2019


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('src', help='folder of the official ISIC 2019 training release')
    parser.add_argument('out', nargs='?', default='data/isic2019', help='output folder')
    parser.add_argument('--seed', type=int, default=0, help='seed of the split')
    parser.add_argument('--val-ratio', type=float, default=0.2, help='val fraction per class')
    parser.add_argument(
        '--csv', help='ground-truth CSV (default: SRC/ISIC_2019_Training_'
        'GroundTruth.csv)')
    parser.add_argument('--image-dir', help='image folder (default: SRC/ISIC_2019_Training_Input)')
    parser.add_argument(
        '--copy',
        action='store_true',
        help='copy the images into OUT/images (default: symlink the folder)')
    parser.add_argument('--force', action='store_true', help='replace an existing OUT')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    try:
        table = convert_isic2019(
            args.src,
            args.out,
            seed=args.seed,
            val_ratio=args.val_ratio,
            copy=args.copy,
            force=args.force,
            csv_path=args.csv,
            image_dir=args.image_dir)
    except ValueError as error:  # ConversionError and bad arguments
        sys.exit(f'error: {error}')
    print(table)
    print(f'wrote {args.out}/meta (split seed {args.seed})')


if __name__ == '__main__':
    main()
