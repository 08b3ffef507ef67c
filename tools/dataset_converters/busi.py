"""Convert BUSI (Breast Ultrasound Images) to the TUI segmentation layout (seeded 8:2 split).

    python tools/dataset_converters/busi.py SRC data/BUSI [--seed 0] [--val-ratio 0.2] \
        [--drop-normal] [--force]

SRC is the release's Dataset_BUSI_with_GT/ (benign/, malignant/, normal/) or the folder that holds
it. OUT gets img_dir/{train,val}, ann_dir/{train,val} (0 background, 1 benign, 2 malignant) and
busi_split.json; the table printed at the end gives the images per source folder and the pixel
share of each class in each split. See bdcl_mm/datasets/converters/busi.py.
"""
import argparse
import sys

from bdcl_mm.datasets.converters import convert_busi


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('src', help='Dataset_BUSI_with_GT folder of BUSI (or its parent)')
    parser.add_argument('out', nargs='?', default='data/BUSI', help='output folder')
    parser.add_argument('--seed', type=int, default=0, help='seed of the split')
    parser.add_argument('--val-ratio', type=float, default=0.2, help='val fraction per folder')
    parser.add_argument(
        '--drop-normal', action='store_true', help='leave out the normal/ (lesion-free) images')
    parser.add_argument('--force', action='store_true', help='replace an existing OUT')
    parser.add_argument('--quiet', action='store_true', help='no progress bar')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    try:
        summary = convert_busi(
            args.src,
            args.out,
            seed=args.seed,
            val_ratio=args.val_ratio,
            drop_normal=args.drop_normal,
            force=args.force,
            progress=not args.quiet)
    except ValueError as error:  # ConversionError and bad arguments
        sys.exit(f'error: {error}')
    print(summary.table())
    print(f'wrote {args.out} (split seed {args.seed})')


if __name__ == '__main__':
    main()
