"""Per-image cost of Dice + HD95 + ASSD at 512x512: bdcl_mm's functional core against MONAI.

    python tools/analysis/benchmark_surface_metric.py                 # writes the cost page
    python tools/analysis/benchmark_surface_metric.py --quick --out /tmp/cost.md

Each image is a 3-class label map (background, two lesion classes) with a predicted map that
misses, shifts and roughens the lesions, at three lesion sizes. Both implementations score the two
foreground classes of every image: ours with
:func:`bdcl_mm.evaluation.functional.label_map_scores` (what ``SurfaceDistanceMetric`` runs per
image), MONAI with ``compute_dice``, ``compute_hausdorff_distance(percentile=95)`` and
``compute_average_surface_distance(symmetric=True)`` on one-hot tensors (what a MONAI user calls
for the same three numbers). Repetitions alternate the two implementations (ours first on even
repetitions, MONAI first on odd ones), so drifting machine load reaches both alike; the table
gives the median per-image time over repetitions, its spread (min - max), the ratio MONAI / ours,
and the largest difference of the values (MONAI computes in float32). MONAI is a test and
benchmark peer: ``pip install monai``.
"""
import argparse
import datetime
import os
import os.path as osp
import platform
import statistics
import sys
import time
import warnings
from typing import Callable, Dict, List, Sequence, Tuple

import numpy as np
import torch
from scipy.ndimage import binary_dilation, binary_erosion

from bdcl_mm.evaluation.functional import label_map_scores

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEFAULT_OUT = osp.join(REPO, 'docs', 'results', 'cost_surface_metric.md')
#: lesion radius in pixels of a 512x512 image per named size (scaled with ``--size``)
SIZES = {'small lesions (r 8-20)': (8, 20), 'medium (r 30-60)': (30, 60),
         'large (r 90-150)': (90, 150)}


def lesion_pair(rng: np.random.Generator, size: int,
                radius: Tuple[int, int]) -> Tuple[np.ndarray, np.ndarray]:
    """A predicted and a ground-truth label map (int64, ``(size, size)``) with classes 1 and 2.

    Each class gets an irregular blob (an ellipse whose radius varies with the angle); the
    prediction shifts it, grows or shrinks it, adds speckle false positives, and drops the
    class in one image out of six.
    """
    yy, xx = np.mgrid[:size, :size]
    gt = np.zeros((size, size), np.int64)
    pred = np.zeros_like(gt)
    for c in (1, 2):
        r = min(rng.uniform(*radius) * size / 512, size / 2 - 4)  # radii are stated at 512
        cy, cx = rng.uniform(r + 2, size - r - 2, 2)
        angle = np.arctan2(yy - cy, xx - cx)
        wobble = 1 + 0.15 * np.sin(3 * angle + rng.uniform(0, 6)) + 0.08 * np.sin(7 * angle)
        dist = np.hypot((yy - cy) / rng.uniform(0.7, 1.0), xx - cx)
        blob = dist < r * wobble
        gt[blob] = c
        if rng.random() < 1 / 6:
            continue
        shifted = np.roll(blob, tuple(rng.integers(-4, 5, 2)), axis=(0, 1))
        step = int(rng.integers(1, 4))
        shaped = (binary_dilation(shifted, iterations=step) if rng.random() < 0.5 else
                  binary_erosion(shifted, iterations=step))
        speckle = binary_dilation(rng.random((size, size)) < 2e-5, iterations=2)
        pred[shaped | speckle] = c
    return pred, gt


def ours(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """``(2, 3)``: Dice, HD95, ASSD of classes 1 and 2."""
    return np.array([[s.dice, s.hd95, s.assd] for s in label_map_scores(pred, gt, [1, 2])])


def monai_fn() -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """MONAI's three calls on one-hot ``(1, 3, H, W)`` tensors, background excluded."""
    from monai.metrics import (compute_average_surface_distance, compute_dice,
                               compute_hausdorff_distance)

    def run(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
        p = torch.nn.functional.one_hot(torch.from_numpy(pred), 3).permute(2, 0, 1)[None].float()
        g = torch.nn.functional.one_hot(torch.from_numpy(gt), 3).permute(2, 0, 1)[None].float()
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')  # empty-mask warnings
            dice = compute_dice(p, g, include_background=False)[0]
            hd = compute_hausdorff_distance(p, g, include_background=False, percentile=95)[0]
            asd = compute_average_surface_distance(p, g, include_background=False,
                                                   symmetric=True)[0]
        return torch.stack([dice, hd, asd], 1).double().numpy()

    return run


def max_difference(a: np.ndarray, b: np.ndarray) -> float:
    """Largest ``|a - b|`` over entries where both are finite; NaN / inf must agree."""
    same_special = np.array_equal(np.isnan(a), np.isnan(b)) and np.array_equal(
        np.isinf(a), np.isinf(b))
    if not same_special:
        return float('inf')
    finite = np.isfinite(a)
    return float(np.abs(a[finite] - b[finite]).max()) if finite.any() else 0.0


def run(images: int, repeats: int, size: int, seed: int) -> List[Dict[str, object]]:
    """Time both implementations on each lesion size; one dict per size."""
    rng = np.random.default_rng(seed)
    impls = {'ours': ours, 'MONAI': monai_fn()}
    rows = []
    for name, radius in SIZES.items():
        pairs = [lesion_pair(rng, size, radius) for _ in range(images)]
        values = {k: [fn(p, g) for p, g in pairs] for k, fn in impls.items()}  # also a warm-up
        diff = max(max_difference(a, b) for a, b in zip(values['ours'], values['MONAI']))
        times: Dict[str, List[float]] = {k: [] for k in impls}
        for rep in range(repeats):
            order = list(impls) if rep % 2 == 0 else list(reversed(impls))
            for key in order:
                start = time.perf_counter()
                for p, g in pairs:
                    impls[key](p, g)
                times[key].append(1e3 * (time.perf_counter() - start) / images)
        rows.append(dict(case=name, times=times, diff=diff))
    return rows


def machine() -> str:
    load = ', '.join(f'{x:.2f}' for x in os.getloadavg())
    return (f'{platform.machine()}, {os.cpu_count()} CPU cores, OMP_NUM_THREADS='
            f'{os.environ.get("OMP_NUM_THREADS", "unset")}, load average {load} at the start')


def table(rows: Sequence[Dict[str, object]]) -> List[str]:
    lines = ['| lesions | ours ms / image | MONAI ms / image | MONAI / ours | max abs difference |',
             '| --- | ---: | ---: | ---: | ---: |']
    for row in rows:
        t = row['times']
        med = {k: statistics.median(v) for k, v in t.items()}
        cells = [f'{med[k]:.2f} ({min(t[k]):.2f} - {max(t[k]):.2f})' for k in ('ours', 'MONAI')]
        lines.append(f'| {row["case"]} | {cells[0]} | {cells[1]} | '
                     f'{med["MONAI"] / med["ours"]:.1f} | {row["diff"]:.1e} |')
    return lines


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--images', type=int, default=8, help='images per lesion size')
    p.add_argument('--repeats', type=int, default=5, help='alternating repetitions')
    p.add_argument('--size', type=int, default=512, help='image side in pixels')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--quick', action='store_true', help='smoke run: 2 images, 2 repetitions, 128')
    p.add_argument('--out', default=DEFAULT_OUT, help='markdown page to write')
    args = p.parse_args(argv)
    if args.quick:
        args.images, args.repeats, args.size = 2, 2, 128
    if min(args.images, args.repeats) < 1 or args.size < 64:
        p.error('--images and --repeats must be positive and --size at least 64')
    where = machine()
    start = time.perf_counter()
    rows = run(args.images, args.repeats, args.size, args.seed)
    wall = time.perf_counter() - start
    command = ' '.join(['python tools/analysis/benchmark_surface_metric.py'] +
                       _without_out(sys.argv[1:] if argv is None else list(argv)))
    body = table(rows)
    print('\n'.join(body))
    text = '\n'.join([
        '# Cost: Dice + HD95 + ASSD per image, bdcl_mm against MONAI (generated by '
        '`tools/analysis/benchmark_surface_metric.py`; do not edit)', '',
        f'Per-image time of Dice, HD95 and ASSD of the two foreground classes of a {args.size}x'
        f'{args.size} label map, {args.images} images per lesion size: bdcl_mm\'s '
        '`label_map_scores` (what `SurfaceDistanceMetric` runs) against MONAI\'s `compute_dice`, '
        '`compute_hausdorff_distance(percentile=95)` and '
        '`compute_average_surface_distance(symmetric=True)`. Repetitions alternate the two; '
        'each cell is the median over repetitions (min - max). The last column is the largest '
        'difference of the values between the two (MONAI returns float32).', '',
        f'- command: `{command}`',
        f'- machine: {where}; MONAI {_monai_version()}; run in {wall:.0f} s, '
        f'{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC', '',
        f'Per-image cost at {args.size}x{args.size}, {args.repeats} repetitions:', ''
    ] + body + [''])
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    tmp = args.out + '.tmp'
    with open(tmp, 'w', encoding='utf-8') as f:
        f.write(text)
    os.replace(tmp, args.out)
    print(f'wrote {args.out}')
    return 0


def _without_out(argv: List[str]) -> List[str]:
    """The command-line arguments less ``--out PATH`` (the page does not name a local path)."""
    out, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg == '--out':
            skip = True
        elif not arg.startswith('--out='):
            out.append(arg)
    return out


def _monai_version() -> str:
    import monai
    return monai.__version__


if __name__ == '__main__':
    sys.exit(main())
