"""Fixtures for the tools tests: tiny generated datasets, and the tiny configs that inherit the
hosts' own (:mod:`tests._shared.tiny_configs`) written beside them."""
import os
import os.path as osp

import cv2
import numpy as np
import pytest

from tests._shared.tiny_configs import cls_tool_config, seg_tool_config


def make_seg_data(root, num=4, size=64, seed=0):
    """Noisy images with a bright disc; label 1 inside the disc."""
    rng = np.random.default_rng(seed)
    for sub in ('img_dir/train', 'ann_dir/train'):
        os.makedirs(osp.join(root, sub), exist_ok=True)
    yy, xx = np.mgrid[:size, :size]
    for i in range(num):
        cy, cx, r = rng.integers(16, size - 16, 2).tolist() + [int(rng.integers(6, 14))]
        mask = ((yy - cy)**2 + (xx - cx)**2 < r * r).astype(np.uint8)
        img = rng.normal(80, 20, (size, size, 3)) + 100 * mask[..., None]
        cv2.imwrite(osp.join(root, 'img_dir/train', f'{i}.png'), img.clip(0, 255).astype(np.uint8))
        cv2.imwrite(osp.join(root, 'ann_dir/train', f'{i}.png'), mask)


def make_cls_data(root, counts=(8, 4, 2), size=32, seed=0):
    """Class-coloured noisy images in ``root/train/<class>/``, imbalanced by ``counts``."""
    rng = np.random.default_rng(seed)
    for c, n in enumerate(counts):
        folder = osp.join(root, 'train', f'class_{c}')
        os.makedirs(folder, exist_ok=True)
        for i in range(n):
            img = rng.normal(60 + 60 * c, 25, (size, size, 3)).clip(0, 255).astype(np.uint8)
            cv2.imwrite(osp.join(folder, f'{i}.png'), img)


@pytest.fixture
def seg_setup(tmp_path):
    data = tmp_path / 'data'
    make_seg_data(str(data))
    config = tmp_path / 'tiny_ocr.py'
    config.write_text(seg_tool_config(data))
    return tmp_path, config


@pytest.fixture
def cls_setup(tmp_path):
    data = tmp_path / 'data'
    make_cls_data(str(data))
    config = tmp_path / 'tiny_resnet.py'
    config.write_text(cls_tool_config(data))
    return tmp_path, config
