"""Hyper-Kvasir labelled images -> mmpretrain annotation files with a seeded stratified 8:2 split.

Input (the official release, 10,662 labelled images in 23 classes)::

    SRC/labeled-images/<tract>/<category>/<class>/<image>.jpg

``SRC`` may also be the ``labeled-images`` folder itself. Files beside the folders (e.g.
``image-labels.csv``) are ignored; a folder that is not one of the known tracts, categories or
classes stops the conversion. Labels follow the alphabetical order of the class names. Output:
see :mod:`bdcl_mm.datasets.converters.common`.
"""
import os
import os.path as osp
from typing import Dict, List, Tuple

from .common import ConversionError, atomic_output_dir, place_images, stratified_split, write_split

#: ``(tract, category, class)`` of the 23 labelled classes.
HYPER_KVASIR_TREE = (
    ('lower-gi-tract', 'anatomical-landmarks', 'cecum'),
    ('lower-gi-tract', 'anatomical-landmarks', 'ileum'),
    ('lower-gi-tract', 'anatomical-landmarks', 'retroflex-rectum'),
    ('lower-gi-tract', 'pathological-findings', 'hemorrhoids'),
    ('lower-gi-tract', 'pathological-findings', 'polyps'),
    ('lower-gi-tract', 'pathological-findings', 'ulcerative-colitis-grade-0-1'),
    ('lower-gi-tract', 'pathological-findings', 'ulcerative-colitis-grade-1'),
    ('lower-gi-tract', 'pathological-findings', 'ulcerative-colitis-grade-1-2'),
    ('lower-gi-tract', 'pathological-findings', 'ulcerative-colitis-grade-2'),
    ('lower-gi-tract', 'pathological-findings', 'ulcerative-colitis-grade-2-3'),
    ('lower-gi-tract', 'pathological-findings', 'ulcerative-colitis-grade-3'),
    ('lower-gi-tract', 'quality-of-mucosal-views', 'bbps-0-1'),
    ('lower-gi-tract', 'quality-of-mucosal-views', 'bbps-2-3'),
    ('lower-gi-tract', 'quality-of-mucosal-views', 'impacted-stool'),
    ('lower-gi-tract', 'therapeutic-interventions', 'dyed-lifted-polyps'),
    ('lower-gi-tract', 'therapeutic-interventions', 'dyed-resection-margins'),
    ('upper-gi-tract', 'anatomical-landmarks', 'pylorus'),
    ('upper-gi-tract', 'anatomical-landmarks', 'retroflex-stomach'),
    ('upper-gi-tract', 'anatomical-landmarks', 'z-line'),
    ('upper-gi-tract', 'pathological-findings', 'barretts'),
    ('upper-gi-tract', 'pathological-findings', 'barretts-short-segment'),
    ('upper-gi-tract', 'pathological-findings', 'esophagitis-a'),
    ('upper-gi-tract', 'pathological-findings', 'esophagitis-b-d'),
)
HYPER_KVASIR_CLASSES = tuple(sorted(name for _, _, name in HYPER_KVASIR_TREE))
IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png')


def _subdirs(path: str) -> List[str]:
    return sorted(e.name for e in os.scandir(path) if e.is_dir())


def _known_children() -> Dict[tuple, set]:
    """Allowed sub-folder names of ``()``, ``(tract,)`` and ``(tract, category)``."""
    tree: Dict[tuple, set] = {}
    for tract, category, name in HYPER_KVASIR_TREE:
        tree.setdefault((), set()).add(tract)
        tree.setdefault((tract, ), set()).add(category)
        tree.setdefault((tract, category), set()).add(name)
    return tree


def _known_subdirs(root: str, parts: Tuple[str, ...], tree: Dict[tuple, set]) -> List[str]:
    """Sub-folders of ``root/parts``, each checked against the official tree."""
    level = ('tract', 'category', 'class')[len(parts)]
    names = _subdirs(osp.join(root, *parts))
    for name in names:
        if name not in tree[parts]:
            raise ConversionError(
                f'unknown Hyper-Kvasir {level} folder: {osp.join(root, *parts, name)}. Expected '
                'labeled-images/<tract>/<category>/<class>/ with the 23 official classes; move or '
                'remove that folder.')
    return names


def scan_hyper_kvasir(root: str) -> List[Tuple[str, int]]:
    """``(relative image path, label)`` of every image under ``root`` (``labeled-images``).

    Raises:
        ConversionError: An unknown folder at any level, a folder inside a class folder, or a
            class without any image (the message names the folder or class).
    """
    tree = _known_children()
    items: List[Tuple[str, int]] = []
    for tract in _known_subdirs(root, (), tree):
        for category in _known_subdirs(root, (tract, ), tree):
            for name in _known_subdirs(root, (tract, category), tree):
                class_dir = osp.join(root, tract, category, name)
                nested = _subdirs(class_dir)
                if nested:
                    raise ConversionError(f'unexpected folder {osp.join(class_dir, nested[0])}: '
                                          'class folders hold images only.')
                label = HYPER_KVASIR_CLASSES.index(name)
                items += [(f'{tract}/{category}/{name}/{f}', label)
                          for f in sorted(os.listdir(class_dir))
                          if f.lower().endswith(IMAGE_EXTENSIONS)]
    found = {label for _, label in items}
    absent = [name for c, name in enumerate(HYPER_KVASIR_CLASSES) if c not in found]
    if absent:
        raise ConversionError(f'no image found for Hyper-Kvasir class(es) {absent} under {root}; '
                              'the full labelled release has all 23 classes.')
    return items


def convert_hyper_kvasir(src: str,
                         out: str,
                         seed: int = 0,
                         val_ratio: float = 0.2,
                         copy: bool = False,
                         force: bool = False) -> str:
    """Convert Hyper-Kvasir into ``out`` (see the module docstring); returns the count table.

    Args:
        src (str): ``labeled-images`` or the folder that holds it.
        out (str): Output folder; must not exist unless ``force``.
        seed (int): Seed of the stratified split.
        val_ratio (float): Fraction of each class in ``meta/val.txt``.
        copy (bool): Copy the images into ``out/images`` instead of symlinking the folder.
        force (bool): Replace an existing ``out``.
    """
    root = osp.join(src, 'labeled-images') if osp.isdir(osp.join(src, 'labeled-images')) else src
    if not osp.isdir(root):
        raise ConversionError(f'Hyper-Kvasir folder not found: {root}')
    items = scan_hyper_kvasir(root)
    paths = [path for path, _ in items]
    labels = [label for _, label in items]
    train, val = stratified_split(labels, len(HYPER_KVASIR_CLASSES), val_ratio, seed)
    splits = {name: [items[i] for i in idx] for name, idx in (('train', train), ('val', val))}
    info = dict(dataset='Hyper-Kvasir', seed=seed, val_ratio=val_ratio, source=osp.abspath(root))
    with atomic_output_dir(out, force) as tmp:
        place_images(root, tmp, paths, copy)
        table = write_split(tmp, HYPER_KVASIR_CLASSES, splits, info)
    return table
