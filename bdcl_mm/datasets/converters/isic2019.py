"""ISIC 2019 training set -> mmpretrain annotation files with a seeded stratified 8:2 split.

Input (the official ISIC 2019 training release)::

    SRC/ISIC_2019_Training_Input/<image>.jpg
    SRC/ISIC_2019_Training_GroundTruth.csv     image,MEL,NV,BCC,AK,BKL,DF,VASC,SCC,UNK (one-hot)

``UNK`` is 0 for every training image, so the dataset has 8 classes (25,331 images). Output:
see :mod:`bdcl_mm.datasets.converters.common`.
"""
import csv
import os
import os.path as osp
from typing import List, Optional, Tuple

from .common import ConversionError, atomic_output_dir, place_images, stratified_split, write_split

ISIC2019_CLASSES = ('MEL', 'NV', 'BCC', 'AK', 'BKL', 'DF', 'VASC', 'SCC')
UNKNOWN_COLUMN = 'UNK'
IMAGE_DIR = 'ISIC_2019_Training_Input'
GT_CSV = 'ISIC_2019_Training_GroundTruth.csv'


def _flag(value: str, line: int, column: str) -> bool:
    try:
        number = float(value)
    except ValueError:
        number = None
    if number not in (0.0, 1.0):
        raise ConversionError(f'ground truth line {line}: column {column} holds {value!r}; '
                              'expected 0 or 1.')
    return number == 1.0


def read_isic_ground_truth(csv_path: str) -> List[Tuple[str, int]]:
    """Parse the one-hot ground-truth CSV into ``(image id, label)`` pairs in file order.

    Raises:
        ConversionError: Missing columns, a row with no class or several classes, a row of the
            ``UNK`` class, a value other than 0/1, or a repeated image id; the message names
            the CSV line and image.
    """
    with open(csv_path, newline='', encoding='utf-8-sig') as f:
        reader = csv.DictReader(f)
        columns = reader.fieldnames or []
        missing = [c for c in ('image', ) + ISIC2019_CLASSES if c not in columns]
        if missing:
            raise ConversionError(f'{csv_path} lacks the column(s) {missing}; expected the '
                                  f'ISIC 2019 header image,{",".join(ISIC2019_CLASSES)},UNK.')
        flag_columns = ISIC2019_CLASSES + ((UNKNOWN_COLUMN, ) if UNKNOWN_COLUMN in columns else ())
        items, seen = [], {}
        for row_index, row in enumerate(reader):
            line = row_index + 2
            image = (row.get('image') or '').strip()
            if not image:
                raise ConversionError(f'{csv_path} line {line}: empty image id.')
            if image in seen:
                raise ConversionError(f'{csv_path} line {line}: image {image} is listed twice '
                                      f'(first on line {seen[image]}).')
            seen[image] = line
            positive = [c for c in flag_columns if _flag(row.get(c) or '', line, c)]
            if not positive:
                raise ConversionError(f'{csv_path} line {line}: image {image} has no class '
                                      '(every class column is 0).')
            if len(positive) > 1:
                raise ConversionError(f'{csv_path} line {line}: image {image} has several '
                                      f'classes {positive}; each image needs exactly one.')
            if positive[0] == UNKNOWN_COLUMN:
                raise ConversionError(f'{csv_path} line {line}: image {image} is labelled UNK, '
                                      'which the ISIC 2019 training ground truth never uses; '
                                      'remove the row or use the training CSV.')
            items.append((image, ISIC2019_CLASSES.index(positive[0])))
    if not items:
        raise ConversionError(f'{csv_path} lists no image.')
    return items


def convert_isic2019(src: str,
                     out: str,
                     seed: int = 0,
                     val_ratio: float = 0.2,
                     copy: bool = False,
                     force: bool = False,
                     csv_path: Optional[str] = None,
                     image_dir: Optional[str] = None) -> str:
    """Convert ISIC 2019 into ``out`` (see the module docstring); returns the count table.

    Args:
        src (str): Folder with ``ISIC_2019_Training_Input`` and the ground-truth CSV.
        out (str): Output folder; must not exist unless ``force``.
        seed (int): Seed of the stratified split.
        val_ratio (float): Fraction of each class in ``meta/val.txt``.
        copy (bool): Copy the images into ``out/images`` instead of symlinking the folder.
        force (bool): Replace an existing ``out``.
        csv_path (str, optional): Ground-truth CSV (default ``SRC/<GT_CSV>``).
        image_dir (str, optional): Image folder (default ``SRC/<IMAGE_DIR>``).

    Raises:
        ConversionError: Bad CSV (see :func:`read_isic_ground_truth`), a listed image that is
            missing, or an existing output without ``force``.
    """
    csv_path = csv_path or osp.join(src, GT_CSV)
    image_dir = image_dir or osp.join(src, IMAGE_DIR)
    for path, what in ((csv_path, 'ground-truth CSV'), (image_dir, 'image folder')):
        if not osp.exists(path):
            raise ConversionError(f'ISIC 2019 {what} not found: {path}')
    items = read_isic_ground_truth(csv_path)
    present = set(os.listdir(image_dir))
    missing = [image for image, _ in items if f'{image}.jpg' not in present]
    if missing:
        raise ConversionError(f'{len(missing)} image(s) listed in {csv_path} are missing from '
                              f'{image_dir}, e.g. {missing[0]}.jpg')
    paths = [f'{image}.jpg' for image, _ in items]
    labels = [label for _, label in items]
    train, val = stratified_split(labels, len(ISIC2019_CLASSES), val_ratio, seed)
    splits = {
        name: [(paths[i], labels[i]) for i in idx]
        for name, idx in (('train', train), ('val', val))
    }
    info = dict(dataset='ISIC2019', seed=seed, val_ratio=val_ratio, source=osp.abspath(src))
    with atomic_output_dir(out, force) as tmp:
        place_images(image_dir, tmp, paths, copy)
        table = write_split(tmp, ISIC2019_CLASSES, splits, info)
    return table
