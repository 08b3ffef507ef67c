"""Shared parts of the dataset converters: atomic output, stratified split, annotation files.

Every converter writes the layout of an mmpretrain ``CustomDataset`` with annotation files::

    OUT/
      images/             the images (a symlink to the source folder, or copies / PNG files)
      meta/train.txt      "relative/path.jpg label" lines, paths relative to images/
      meta/val.txt        (Fashion-MNIST-LT: meta/test.txt)
      meta/classes.txt    one class name per line, in label order
      meta/split_info.json  seed, ratios, classes and per-class counts of every split

The output is built in a temporary folder next to ``OUT`` and renamed into place at the end, so a
failed conversion leaves nothing behind (a killed one's folder is removed by the next run) and
``OUT`` gets the user's umask; an existing ``OUT`` is only replaced with ``force``.
"""
import contextlib
import json
import os
import os.path as osp
import shutil
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np

from bdcl_mm.datasets import atomic_output
from bdcl_mm.utils import check_number


class ConversionError(ValueError):
    """Bad converter input (the message names the offending file, row or folder)."""


@contextlib.contextmanager
def atomic_output_dir(out_dir: str, force: bool = False) -> Iterator[str]:
    """Yield a temporary folder that replaces ``out_dir`` only if the block succeeds.

    See :mod:`bdcl_mm.datasets.atomic_output`: the temporary folder is a hidden sibling of
    ``out_dir``, removed on failure and swept by the next run if the process was killed; the
    output gets the user's umask.

    Args:
        out_dir (str): Final output folder.
        force (bool): Replace an existing ``out_dir`` (only after the new one is complete).

    Raises:
        ConversionError: ``out_dir`` exists and ``force`` is False, or it is not a folder.
    """
    out_dir = osp.abspath(out_dir)
    if osp.lexists(out_dir):
        if not osp.isdir(out_dir) or osp.islink(out_dir):
            raise ConversionError(f'output {out_dir} exists and is not a folder; choose another '
                                  'output path.')
        if not force:
            raise ConversionError(f'output folder {out_dir} already exists; pass --force to '
                                  'replace it, or choose another output folder.')
    with atomic_output.atomic_output_dir(out_dir) as tmp_dir:
        yield tmp_dir


def stratified_split(labels: Sequence[int], num_classes: int, val_ratio: float,
                     seed: int) -> Tuple[np.ndarray, np.ndarray]:
    """Seeded stratified train/val split.

    Each class's items are shuffled with ``np.random.default_rng(seed)`` (classes in label
    order) and ``round(val_ratio * n_c)`` of them go to val; a class with at least two items
    keeps at least one in each split.

    Args:
        labels (Sequence[int]): Label of every item, shape ``(N,)``.
        num_classes (int): Number of classes.
        val_ratio (float): Fraction of each class for val, in ``[0, 1)``.
        seed (int): Seed of the split.

    Returns:
        tuple[np.ndarray, np.ndarray]: Sorted train and val item indices.
    """
    check_number('val_ratio', val_ratio, 0, 1, include_maximum=False)
    labels = np.asarray(labels, dtype=np.int64)
    rng = np.random.default_rng(seed)
    train, val = [], []
    for cls in range(num_classes):
        items = rng.permutation(np.flatnonzero(labels == cls))
        num_val = int(round(val_ratio * len(items)))
        if len(items) >= 2 and val_ratio > 0:
            num_val = min(max(num_val, 1), len(items) - 1)
        val.append(items[:num_val])
        train.append(items[num_val:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(val))


def class_counts(labels: Sequence[int], num_classes: int) -> List[int]:
    """Items per class, shape ``(C,)`` as a list."""
    return np.bincount(np.asarray(labels, dtype=np.int64), minlength=num_classes).tolist()


def count_table(classes: Sequence[str], counts: Dict[str, Sequence[int]]) -> str:
    """A text table of per-class counts, one column per split, with totals."""
    splits = list(counts)
    header = ['label', 'class'] + splits
    rows = [[str(c), name] + [str(counts[s][c]) for s in splits] for c, name in enumerate(classes)]
    rows.append(['', 'total'] + [str(sum(counts[s])) for s in splits])
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]

    def line(cells):
        return '  '.join(
            cell.ljust(w) if i == 1 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(cells, widths)))

    return '\n'.join([line(header)] + [line(r) for r in rows])


def write_split(out_dir: str, classes: Sequence[str], splits: Dict[str, List[Tuple[str, int]]],
                info: Dict[str, object]) -> str:
    """Write ``meta/<split>.txt``, ``meta/classes.txt`` and ``meta/split_info.json``.

    Args:
        out_dir (str): Output folder (the temporary one).
        classes (Sequence[str]): Class names in label order.
        splits (dict): ``{split: [(relative_path, label), ...]}``.
        info (dict): Extra entries of ``split_info.json`` (seed, ratios, source...).

    Returns:
        str: The count table (also stored in ``split_info.json`` as counts).
    """
    meta = osp.join(out_dir, 'meta')
    os.makedirs(meta, exist_ok=True)
    for split, items in splits.items():
        with open(osp.join(meta, f'{split}.txt'), 'w', encoding='utf-8') as f:
            for path, label in items:
                if '\n' in path or not 0 <= label < len(classes):
                    raise ConversionError(f'cannot write item {path!r} with label {label}.')
                f.write(f'{path} {label}\n')
    with open(osp.join(meta, 'classes.txt'), 'w', encoding='utf-8') as f:
        f.write(''.join(f'{name}\n' for name in classes))
    counts = {
        split: class_counts([label for _, label in items], len(classes))
        for split, items in splits.items()
    }
    record = dict(info)
    record['classes'] = list(classes)
    record.update({f'{split}_counts': c for split, c in counts.items()})
    with open(osp.join(meta, 'split_info.json'), 'w', encoding='utf-8') as f:
        json.dump(record, f, indent=2)
        f.write('\n')
    return count_table(classes, counts)


def place_images(src_dir: str,
                 out_dir: str,
                 rel_paths: Sequence[str],
                 copy: bool,
                 progress: Optional[bool] = None) -> None:
    """Make ``out_dir/images`` a symlink to ``src_dir``, or copy the listed files there.

    Args:
        src_dir (str): Folder the relative paths start from.
        out_dir (str): Output folder (the temporary one).
        rel_paths (Sequence[str]): Files to copy (copy mode).
        copy (bool): Copy instead of linking.
        progress (bool, optional): Show a progress bar (default: when copying).
    """
    dst = osp.join(out_dir, 'images')
    if not copy:
        os.symlink(osp.abspath(src_dir), dst, target_is_directory=True)
        return
    from tqdm import tqdm
    for rel in tqdm(rel_paths, desc='copying images', unit='img', disable=progress is False):
        target = osp.join(dst, rel)
        os.makedirs(osp.dirname(target), exist_ok=True)
        shutil.copy2(osp.join(src_dir, rel), target)
