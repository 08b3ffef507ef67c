"""BUSI (Breast Ultrasound Images) -> the TUI segmentation layout with a seeded stratified split.

Input (the public release, Al-Dhabyani et al., Data in Brief 2020; not redistributed)::

    SRC/{benign,malignant,normal}/benign (12).png          the image
    SRC/{benign,malignant,normal}/benign (12)_mask.png     its lesion mask
    SRC/{benign,malignant,normal}/benign (12)_mask_1.png   extra masks of the same image (optional)

``SRC`` is the release's ``Dataset_BUSI_with_GT`` folder or the folder that holds it. Masks may be
L, RGB or RGBA (or palette) PNGs: a pixel is lesion where any colour channel is non-zero (alpha is
ignored), and an image's label is the union of all its masks. Hidden files and files other than
``.png`` are ignored. ``normal/`` images are all background (their masks are checked, their pixels
not used).

Output (what ``ThyroidUSDataset`` and the TUI configs read)::

    OUT/img_dir/{train,val}/<name>.png    the source image, copied byte for byte
    OUT/ann_dir/{train,val}/<name>.png    8-bit label map: 0 background, 1 benign, 2 malignant
    OUT/busi_split.json                   seed, ratio, counts, pixel shares, name -> source files

``<name>`` is ``<folder>_<number>`` with three digits for the release's ``<folder> (<number>)``
images (``benign (12).png`` -> ``benign_012.png``), otherwise ``<folder>_<stem>`` with every run
of characters other than letters, digits, ``-`` and ``_`` replaced by ``_``. The split is
stratified by source folder (benign, malignant, normal) with
:func:`~bdcl_mm.datasets.converters.common.stratified_split`. The whole tree is checked before
anything is written, and the output appears only once complete (see
:func:`~bdcl_mm.datasets.converters.common.atomic_output_dir`).
"""
import json
import os
import os.path as osp
import re
import shutil
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from PIL import Image

from .common import ConversionError, atomic_output_dir, stratified_split

#: Source folders of the release, in the order of the split's strata.
BUSI_FOLDERS = ('benign', 'malignant', 'normal')
#: Label-map classes (the TUI classes): label value = index.
BUSI_SEG_CLASSES = ('background', 'benign', 'malignant')
#: Label value of every lesion pixel of each source folder.
FOLDER_LABEL = {'benign': 1, 'malignant': 2, 'normal': 0}
RELEASE_DIR = 'Dataset_BUSI_with_GT'
SPLIT_FILE = 'busi_split.json'
SPLITS = ('train', 'val')

_MASK = re.compile(r'^(?P<stem>.+)_mask(?:_(?P<extra>\d+))?$')
_RELEASE_STEM = re.compile(r'^(?P<folder>[a-z]+) \((?P<number>\d+)\)$')
_UNSAFE = re.compile(r'[^A-Za-z0-9_-]+')
FIX_HINT = ('Each image <stem>.png needs <stem>_mask.png (extra masks <stem>_mask_1.png, ...) of '
            'the same size in the same folder: restore the files from the release, or remove the '
            'orphaned ones.')


@dataclass(frozen=True)
class BusiSample:
    """One image of the release and its masks.

    Attributes:
        folder: Source folder (``'benign'``, ``'malignant'`` or ``'normal'``).
        image: Image path relative to the release folder, e.g. ``'benign/benign (12).png'``.
        masks: Mask paths relative to the release folder, base mask first.
        name: Output file name without suffix, e.g. ``'benign_012'``.
        size: ``(width, height)`` of the image.
    """
    folder: str
    image: str
    masks: Tuple[str, ...]
    name: str
    size: Tuple[int, int]

    @property
    def stratum(self) -> int:
        """Index of the source folder in :data:`BUSI_FOLDERS`."""
        return BUSI_FOLDERS.index(self.folder)


@dataclass
class BusiSummary:
    """Images per source folder and label pixels per class, for each split.

    Attributes:
        images: ``{split: [count per BUSI_FOLDERS entry]}``.
        pixels: ``{split: [pixels per BUSI_SEG_CLASSES entry]}``.
    """
    images: Dict[str, List[int]] = field(default_factory=dict)
    pixels: Dict[str, List[int]] = field(default_factory=dict)

    def add(self, split: str, sample: BusiSample, label: np.ndarray) -> None:
        """Count ``sample`` and its label map ``label`` (shape ``(H, W)``) in ``split``."""
        images = self.images.setdefault(split, [0] * len(BUSI_FOLDERS))
        pixels = self.pixels.setdefault(split, [0] * len(BUSI_SEG_CLASSES))
        images[sample.stratum] += 1
        counts = np.bincount(label.ravel(), minlength=len(BUSI_SEG_CLASSES))
        for c in range(len(BUSI_SEG_CLASSES)):
            pixels[c] += int(counts[c])

    def shares(self, split: str) -> List[float]:
        """Fraction of the split's pixels in each class, shape ``(3,)``."""
        pixels = self.pixels[split]
        total = sum(pixels)
        return [p / total if total else 0.0 for p in pixels]

    def table(self) -> str:
        """Rows: each split and all; columns: images per source folder, pixel share per class."""
        splits = [s for s in SPLITS if s in self.images]
        merged = BusiSummary(
            images={'all': np.sum([self.images[s] for s in splits], axis=0).tolist()},
            pixels={'all': np.sum([self.pixels[s] for s in splits], axis=0).tolist()})
        header = (['split'] + [f'{f} img' for f in BUSI_FOLDERS] + ['total img'] +
                  [f'{c} px %' for c in BUSI_SEG_CLASSES])
        rows = []
        for split, summary in [(s, self) for s in splits] + [('all', merged)]:
            images = summary.images[split]
            rows.append([split] + [str(n) for n in images] + [str(sum(images))] +
                        [f'{100 * s:.2f}' for s in summary.shares(split)])
        widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]

        def line(cells):
            return '  '.join(
                cell.ljust(w) if i == 0 else cell.rjust(w)
                for i, (cell, w) in enumerate(zip(cells, widths)))

        return '\n'.join(line(cells) for cells in [header] + rows)


def find_busi_root(src: str, folders: Sequence[str] = BUSI_FOLDERS) -> str:
    """The folder holding the class folders: ``src`` or ``src/Dataset_BUSI_with_GT``.

    Raises:
        ConversionError: Neither holds all of ``folders``.
    """
    for root in (src, osp.join(src, RELEASE_DIR)):
        if all(osp.isdir(osp.join(root, f)) for f in folders):
            return root
    raise ConversionError(
        f'BUSI folders {list(folders)} not found in {src} nor in {osp.join(src, RELEASE_DIR)}. '
        f'Pass the release\'s {RELEASE_DIR}/ folder (or the folder that holds it), downloaded '
        'from the BUSI authors.')


def output_name(folder: str, stem: str) -> str:
    """Output file stem of a source image: ``benign (12)`` in ``benign/`` -> ``benign_012``."""
    match = _RELEASE_STEM.match(stem)
    if match and match.group('folder') == folder:
        return f'{folder}_{int(match.group("number")):03d}'
    return f'{folder}_{_UNSAFE.sub("_", stem).strip("_") or "image"}'


def _natural_key(name: str) -> List[object]:
    return [int(part) if part.isdigit() else part for part in re.split(r'(\d+)', name)]


def _png_size(path: str) -> Optional[Tuple[int, int]]:
    try:
        with Image.open(path) as image:
            return image.size
    except (OSError, ValueError):
        return None


def scan_busi(root: str, folders: Sequence[str] = BUSI_FOLDERS) -> List[BusiSample]:
    """Pair every image of ``root/<folder>/`` with its masks and check the pairs.

    Args:
        root (str): The release folder (``Dataset_BUSI_with_GT``).
        folders (Sequence[str]): Source folders to read.

    Returns:
        list[BusiSample]: Folder by folder, in natural order of the file names.

    Raises:
        ConversionError: Listing every offender at once: a mask without its image, an image
            without a mask, an unreadable PNG, a mask whose size differs from its image's, two
            images with one output name, or a folder without any image.
    """
    problems: List[str] = []
    samples: List[BusiSample] = []
    names: Dict[str, str] = {}
    for folder in folders:
        files = sorted((f for f in os.listdir(osp.join(root, folder))
                        if f.lower().endswith('.png') and not f.startswith('.')),
                       key=_natural_key)
        stems = {f[:-4]: f for f in files}
        masks: Dict[str, List[Tuple[int, str]]] = {}
        for stem, file in stems.items():
            match = _MASK.match(stem)
            if match:
                extra = match.group('extra')
                masks.setdefault(match.group('stem'), []).append(
                    (-1 if extra is None else int(extra), file))
        for owner, owned in sorted(masks.items()):
            if owner not in stems:
                problems += [
                    f'mask without its image ({owner}.png): {folder}/{file}'
                    for _, file in sorted(owned)
                ]
        images = [s for s in stems if not _MASK.match(s)]
        if not images:
            problems.append(f'no image in {osp.join(root, folder)}')
        for stem in images:
            image = f'{folder}/{stems[stem]}'
            mask_files = tuple(f'{folder}/{file}' for _, file in sorted(masks.get(stem, [])))
            if not mask_files:
                problems.append(f'image without a mask (expected {folder}/{stem}_mask.png): '
                                f'{image}')
                continue
            size = _png_size(osp.join(root, image))
            if size is None:
                problems.append(f'not a readable PNG: {image}')
                continue
            for mask in mask_files:
                mask_size = _png_size(osp.join(root, mask))
                if mask_size is None:
                    problems.append(f'not a readable PNG: {mask}')
                elif mask_size != size:
                    problems.append(f'mask size {mask_size[0]}x{mask_size[1]} differs from its '
                                    f'image\'s {size[0]}x{size[1]}: {mask}')
            name = output_name(folder, stem)
            if name in names:
                problems.append(f'{image} and {names[name]} both become {name}.png: rename one')
                continue
            names[name] = image
            samples.append(BusiSample(folder, image, mask_files, name, size))
    if problems:
        raise ConversionError(f'{len(problems)} problem(s) in the BUSI tree {root}:\n  ' +
                              '\n  '.join(problems) + f'\n{FIX_HINT}')
    return samples


def read_busi_mask(path: str) -> np.ndarray:
    """Lesion pixels of one mask file: any non-zero colour channel, alpha ignored.

    Args:
        path (str): An L, LA, RGB, RGBA, palette, 1-bit or 16-bit PNG.

    Returns:
        np.ndarray: ``bool``, shape ``(H, W)``.
    """
    with Image.open(path) as image:
        if image.mode == 'P':
            image = image.convert('RGBA')
        bands = image.getbands()
        array = np.asarray(image)
    if array.ndim == 2:
        return array != 0
    colour = [i for i, band in enumerate(bands) if band != 'A']
    return (array[..., colour] != 0).any(axis=-1)


def busi_label(root: str, sample: BusiSample) -> np.ndarray:
    """Label map of one sample: the union of its masks set to its folder's label.

    Returns:
        np.ndarray: ``uint8``, shape ``(H, W)``, values in ``{0, FOLDER_LABEL[folder]}``.
    """
    width, height = sample.size
    label = np.zeros((height, width), dtype=np.uint8)
    value = FOLDER_LABEL[sample.folder]
    if value:
        lesion = np.zeros((height, width), dtype=bool)
        for mask in sample.masks:
            lesion |= read_busi_mask(osp.join(root, mask))
        label[lesion] = value
    return label


def _check_out_apart(root: str, out: str) -> None:
    root, out = osp.realpath(root), osp.realpath(out)
    if osp.commonpath([root, out]) == out:
        raise ConversionError(f'output {out} is the BUSI folder {root} or holds it; choose an '
                              'output folder outside the source.')


def convert_busi(src: str,
                 out: str,
                 seed: int = 0,
                 val_ratio: float = 0.2,
                 drop_normal: bool = False,
                 force: bool = False,
                 progress: bool = True) -> BusiSummary:
    """Convert BUSI into the TUI layout at ``out`` (see the module docstring).

    Args:
        src (str): ``Dataset_BUSI_with_GT`` or the folder that holds it.
        out (str): Output folder; must not exist unless ``force``.
        seed (int): Seed of the stratified split.
        val_ratio (float): Fraction of each source folder in ``val``, in ``[0, 1)``.
        drop_normal (bool): Leave out the ``normal/`` images (``normal/`` may then be absent).
        force (bool): Replace an existing ``out`` (only once the new one is complete).
        progress (bool): Show a progress bar while writing.

    Returns:
        BusiSummary: Images per folder and pixels per class of each split (``.table()`` prints).

    Raises:
        ConversionError: Bad input (see :func:`scan_busi`), an existing ``out`` without
            ``force``, or ``out`` holding the source.
    """
    folders = tuple(f for f in BUSI_FOLDERS if not (drop_normal and f == 'normal'))
    root = find_busi_root(src, folders)
    _check_out_apart(root, out)
    samples = scan_busi(root, folders)
    train, val = stratified_split([s.stratum for s in samples], len(BUSI_FOLDERS), val_ratio, seed)
    splits = {'train': [samples[i] for i in train], 'val': [samples[i] for i in val]}
    summary = BusiSummary(
        images={s: [0] * len(BUSI_FOLDERS)
                for s in SPLITS},
        pixels={s: [0] * len(BUSI_SEG_CLASSES)
                for s in SPLITS})
    from tqdm import tqdm
    with atomic_output_dir(out, force) as tmp:
        for split in SPLITS:
            for kind in ('img_dir', 'ann_dir'):
                os.makedirs(osp.join(tmp, kind, split))
        bar = tqdm(total=len(samples), desc='converting BUSI', unit='img', disable=not progress)
        with bar:
            for split, items in splits.items():
                for sample in items:
                    label = busi_label(root, sample)
                    shutil.copyfile(
                        osp.join(root, sample.image),
                        osp.join(tmp, 'img_dir', split, f'{sample.name}.png'))
                    label_path = osp.join(tmp, 'ann_dir', split, f'{sample.name}.png')
                    Image.fromarray(label, mode='L').save(label_path)
                    summary.add(split, sample, label)
                    bar.update()
        files = {
            split: {
                s.name: dict(image=s.image, masks=list(s.masks))
                for s in items
            }
            for split, items in splits.items()
        }
        record = dict(
            dataset='BUSI',
            source=osp.abspath(root),
            seed=seed,
            val_ratio=val_ratio,
            drop_normal=drop_normal,
            folders=list(BUSI_FOLDERS),
            classes=list(BUSI_SEG_CLASSES),
            images=summary.images,
            pixels=summary.pixels,
            files=files)
        with open(osp.join(tmp, SPLIT_FILE), 'w', encoding='utf-8') as f:
            json.dump(record, f, indent=2)
            f.write('\n')
    return summary
