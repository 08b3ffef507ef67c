"""A generated folder tree that mimics the BUSI release (which is not redistributed).

Names as the release writes them (``benign (12).png``, ``benign (12)_mask.png``), extra masks
(``_mask_1``, ``_mask_2``) on some lesions, masks as L, RGB (one channel only) and RGBA (opaque
alpha over the whole image), ``normal/`` images with empty RGBA masks, and a stray non-PNG file.
The expected label maps are built beside the files, from the rectangles drawn.
"""
import os
import os.path as osp

import numpy as np
from PIL import Image

__all__ = ['RELEASE_DIR', 'make_busi_tree']

RELEASE_DIR = 'Dataset_BUSI_with_GT'
_LABEL = {'benign': 1, 'malignant': 2, 'normal': 0}


def _box(height, width, rng):
    top, left = int(rng.integers(0, height // 2)), int(rng.integers(0, width // 2))
    box = np.zeros((height, width), dtype=bool)
    rows, cols = int(rng.integers(3, height // 2)), int(rng.integers(3, width // 2))
    box[top:top + rows, left:left + cols] = True
    return box


def _save_mask(path, lesion, style):
    """Write ``lesion`` (bool, ``(H, W)``) in one of the release's mask styles."""
    height, width = lesion.shape
    if style == 'L':
        Image.fromarray(lesion.astype(np.uint8) * 255, mode='L').save(path)
        return
    rgba = np.zeros((height, width, 4), dtype=np.uint8)
    rgba[..., 3] = 255  # opaque everywhere: alpha alone is never lesion
    if style == 'RGB':
        rgba[lesion, 2] = 255  # only the blue channel is set
        Image.fromarray(rgba[..., :3], mode='RGB').save(path)
    else:
        rgba[lesion, 0] = 7
        Image.fromarray(rgba, mode='RGBA').save(path)


def make_busi_tree(root, counts=(6, 4, 3), size=(40, 32), seed=0, release_dir=True):
    """Write a BUSI-like tree under ``root`` and return the expected outputs.

    Args:
        root: Folder to write into (created).
        counts: Images in ``benign/``, ``malignant/``, ``normal/``.
        size: ``(width, height)`` of every image.
        seed: Seed of the pixels and rectangles.
        release_dir: Put the class folders inside ``root/Dataset_BUSI_with_GT``.

    Returns:
        dict: ``{output name: (folder, expected label map uint8 (H, W), image path)}``; the first
        benign image has two extra masks, the second one extra mask, every third malignant mask
        is RGBA and the others RGB.
    """
    rng = np.random.default_rng(seed)
    base = osp.join(root, RELEASE_DIR) if release_dir else str(root)
    width, height = size
    expected = {}
    for folder, count in zip(('benign', 'malignant', 'normal'), counts):
        os.makedirs(osp.join(base, folder))
        for n in range(1, count + 1):
            stem = osp.join(base, folder, f'{folder} ({n})')
            gray = rng.integers(0, 256, (height, width), dtype=np.uint8)
            Image.fromarray(np.stack([gray] * 3, -1), mode='RGB').save(f'{stem}.png')
            label = np.zeros((height, width), dtype=np.uint8)
            if folder == 'normal':
                _save_mask(f'{stem}_mask.png', np.zeros((height, width), bool), 'RGBA')
            else:
                extras = {1: 2, 2: 1}.get(n, 0) if folder == 'benign' else 0
                style = 'L' if folder == 'benign' else ('RGBA' if n % 3 == 0 else 'RGB')
                suffixes = ['_mask'] + [f'_mask_{i}' for i in range(1, extras + 1)]
                for k, suffix in enumerate(suffixes):
                    lesion = _box(height, width, rng)
                    _save_mask(f'{stem}{suffix}.png', lesion, style if k == 0 else 'L')
                    label[lesion] = _LABEL[folder]
            expected[f'{folder}_{n:03d}'] = (folder, label, f'{stem}.png')
    with open(osp.join(base, 'benign', 'Thumbs.db'), 'wb') as f:
        f.write(b'not an image')
    return expected
