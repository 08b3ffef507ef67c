"""Generate a synthetic thyroid-ultrasound segmentation set in the TUI layout.

    python tools/dataset_converters/thyroid_us_synth.py data/TUI --num-train 400 --num-val 100 \
        --size 256 --seed 0 [--force] [--grid docs/seg_sample_grid.png]

Writes ``OUT/img_dir/{train,val}/*.png`` and ``OUT/ann_dir/{train,val}/*.png`` (0 background,
1 benign, 2 malignant) and prints the class pixel fractions. An existing non-empty ``OUT`` is
never overwritten without ``--force`` (which replaces only its ``img_dir``, ``ann_dir`` and
metadata file). The set is built in a hidden folder next to ``OUT`` and moved into place once
complete, so an interrupted run leaves no partial set (the next run removes its temporary folder).
The simulation itself lives in :mod:`bdcl_mm.datasets.synthetic_us`.
"""
import argparse
import os.path as osp
import time

from bdcl_mm.datasets.synthetic_us import CLASSES, save_sample_grid, write_dataset


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Generate synthetic thyroid-ultrasound images and nodule masks (TUI layout)')
    parser.add_argument('out', help='output folder, e.g. data/TUI')
    parser.add_argument('--num-train', type=int, default=400, help='training images')
    parser.add_argument('--num-val', type=int, default=100, help='validation images')
    parser.add_argument('--size', type=int, default=256, help='image side in pixels')
    parser.add_argument('--seed', type=int, default=0, help='base random seed')
    parser.add_argument(
        '--force',
        action='store_true',
        help='replace img_dir/ and ann_dir/ of an existing OUT (and an existing --grid file)')
    parser.add_argument('--grid', help='also save a figure of samples (image | outlines) here')
    parser.add_argument('--quiet', action='store_true', help='no per-split progress lines')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.grid and osp.exists(args.grid) and not args.force:
        raise FileExistsError(f'{args.grid!r} exists; refusing to overwrite it (pass --force)')
    start = time.perf_counter()
    fractions = write_dataset(args.out, args.num_train, args.num_val, args.size, args.seed,
                              args.force, progress=not args.quiet)
    elapsed = time.perf_counter() - start
    if args.grid:
        save_sample_grid(args.grid, seed=args.seed, size=args.size, force=args.force)
        print(f'sample grid -> {args.grid}')
    print(f'{args.num_train + args.num_val} images in {elapsed:.1f} s; class pixel fractions:')
    for name, fraction in zip(CLASSES, fractions):
        print(f'  {name:<11s} {100 * fraction:6.2f} %')
    return fractions


if __name__ == '__main__':
    main()
