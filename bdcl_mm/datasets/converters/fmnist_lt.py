"""Fashion-MNIST-LT: a CIFAR-LT-style long tail cut from Debian's ``dataset-fashion-mnist``.

The class at tail position ``p`` (0 = head) keeps
``n_p = floor(n_max * ratio ** (-p / (C - 1)))`` training images (Cao et al., LDAM, NeurIPS
2019, CIFAR-10-LT profile), drawn without replacement with a seeded generator; the official
balanced test set (10,000 images) is kept whole. ``order`` decides which class gets which
position:

- ``natural``: the official label order (T-shirt/top is the head, Ankle boot the tail). Its
  tail classes are easy ones.
- ``hard-tail``: Trouser, Dress, Sandal, Sneaker, Bag, Ankle boot, then the confusable
  upper-body classes Shirt, Pullover, Coat, T-shirt/top at the tail (T-shirt/top rarest), so the
  minority classes are look-alikes of each other, as medical tail classes usually are (a long
  tail in the natural order barely tests BDCL).

Labels stay the official Fashion-MNIST ids. Output (an mmpretrain ``CustomDataset``)::

    OUT/images/train/<official index>.png   OUT/images/test/<official index>.png  (28x28 gray)
    OUT/meta/train.txt  OUT/meta/test.txt  OUT/meta/classes.txt  OUT/meta/split_info.json
"""
import gzip
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from bdcl_mm.utils import check_choice, check_int, check_number, check_positive_int
from .common import ConversionError, atomic_output_dir, write_split

FASHION_MNIST_CLASSES = ('T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt',
                         'Sneaker', 'Bag', 'Ankle boot')
#: Class ids from head to tail for each ``order``.
ORDERS: Dict[str, Tuple[int, ...]] = {
    'natural': tuple(range(10)),
    'hard-tail': (1, 3, 5, 7, 8, 9, 6, 2, 4, 0),
}
#: Where Debian's ``dataset-fashion-mnist`` installs the idx files.
DEBIAN_DIRS = ('/usr/share/datasets/fashion-mnist', '/usr/share/fashion-mnist')
IDX_FILES = {
    'train': ('train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz'),
    'test': ('t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'),
}


def find_fashion_mnist() -> Optional[str]:
    """The folder of Debian's Fashion-MNIST idx files, or None when not installed."""
    for folder in DEBIAN_DIRS:
        if all(osp.isfile(osp.join(folder, f)) for files in IDX_FILES.values() for f in files):
            return folder
    return None


def read_idx(path: str) -> np.ndarray:
    """Read a (gzipped) IDX file of unsigned bytes: images ``(N, H, W)`` or labels ``(N,)``."""
    opener = gzip.open if path.endswith('.gz') else open
    with opener(path, 'rb') as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise ConversionError(f'{path} is not an IDX file of unsigned bytes.')
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], 'big') for i in range(ndim))
    offset = 4 + 4 * ndim
    if len(data) - offset != int(np.prod(shape)):
        raise ConversionError(f'{path} is truncated: header says {shape}.')
    return np.frombuffer(data, dtype=np.uint8, offset=offset).reshape(shape)


def long_tail_counts(n_max: int, num_classes: int, ratio: float) -> List[int]:
    """Images per tail position: ``floor(n_max * ratio ** (-p / (C - 1)))``, ``p = 0..C-1``."""
    check_positive_int('n_max', n_max)
    check_int('num_classes', num_classes, minimum=2)
    check_number('ratio', ratio, minimum=1)
    return [
        int(np.floor(n_max * ratio**(-p / (num_classes - 1)) + 1e-6)) for p in range(num_classes)
    ]


def long_tail_indices(labels: np.ndarray,
                      order: Sequence[int],
                      ratio: float,
                      seed: int,
                      n_max: Optional[int] = None) -> np.ndarray:
    """Seeded sorted indices of the long-tailed subset of ``labels`` (see module docstring).

    Args:
        labels (np.ndarray): Labels of the full training set, shape ``(N,)``.
        order (Sequence[int]): Class ids from head to tail.
        ratio (float): Imbalance ratio ``n_head / n_tail``.
        seed (int): Seed of the draw.
        n_max (int, optional): Head size; defaults to the smallest class size.
    """
    num_classes = len(order)
    if sorted(order) != list(range(num_classes)):
        raise ValueError(f'order must be a permutation of 0..{num_classes - 1}, got {order}.')
    available = np.bincount(labels, minlength=num_classes)
    n_max = int(available.min()) if n_max is None else n_max
    counts = long_tail_counts(n_max, num_classes, ratio)
    rng = np.random.default_rng(seed)
    per_class = {cls: counts[pos] for pos, cls in enumerate(order)}
    chosen = []
    for cls in range(num_classes):
        pool = np.flatnonzero(labels == cls)
        if per_class[cls] > len(pool):
            raise ValueError(f'class {cls} has {len(pool)} images, fewer than the {per_class[cls]} '
                             'the profile asks for; lower n_max.')
        chosen.append(rng.choice(pool, size=per_class[cls], replace=False))
    return np.sort(np.concatenate(chosen))


def _write_pngs(images: np.ndarray, indices: np.ndarray, folder: str, desc: str) -> List[str]:
    import cv2
    from tqdm import tqdm
    os.makedirs(folder, exist_ok=True)
    names = []
    for index in tqdm(indices.tolist(), desc=desc, unit='img'):
        name = f'{index:05d}.png'
        if not cv2.imwrite(osp.join(folder, name), images[index]):
            raise ConversionError(f'could not write {osp.join(folder, name)}.')
        names.append(name)
    return names


def convert_fmnist_lt(out: str,
                      src: Optional[str] = None,
                      ratio: float = 100.0,
                      order: str = 'natural',
                      seed: int = 0,
                      n_max: Optional[int] = None,
                      test_per_class: Optional[int] = None,
                      force: bool = False) -> str:
    """Write Fashion-MNIST-LT into ``out``; returns the count table.

    Args:
        out (str): Output folder; must not exist unless ``force``.
        src (str, optional): Folder of the idx files; defaults to Debian's.
        ratio (float): Imbalance ratio. Defaults to 100.
        order (str): ``'natural'`` or ``'hard-tail'``.
        seed (int): Seed of the long-tail draw.
        n_max (int, optional): Head-class size; defaults to 6,000 (all of a class).
        test_per_class (int, optional): Keep only this many (seeded) test images per class, for
            quick runs; defaults to the whole balanced test set.
        force (bool): Replace an existing ``out``.
    """
    check_choice('order', order, sorted(ORDERS))
    src = src or find_fashion_mnist()
    if src is None:
        raise ConversionError('Fashion-MNIST idx files not found in '
                              f'{" or ".join(DEBIAN_DIRS)}; install them with '
                              '`apt-get install dataset-fashion-mnist` or pass --src.')
    data = {}
    for split, (images_file, labels_file) in IDX_FILES.items():
        paths = [osp.join(src, images_file), osp.join(src, labels_file)]
        for path in paths:
            if not osp.isfile(path):
                raise ConversionError(f'Fashion-MNIST file not found: {path}')
        data[split] = tuple(read_idx(p) for p in paths)
    train_images, train_labels = data['train']
    test_images, test_labels = data['test']
    train_idx = long_tail_indices(train_labels, ORDERS[order], ratio, seed, n_max)
    if test_per_class is None:
        test_idx = np.arange(len(test_labels))
    else:
        test_idx = long_tail_indices(test_labels, ORDERS['natural'], 1.0, seed, test_per_class)
    info = dict(
        dataset='Fashion-MNIST-LT',
        seed=seed,
        imbalance_ratio=ratio,
        order=order,
        head_to_tail=[FASHION_MNIST_CLASSES[c] for c in ORDERS[order]],
        n_max=int(np.bincount(train_labels[train_idx]).max()),
        source=osp.abspath(src))
    with atomic_output_dir(out, force) as tmp:
        splits = {}
        for split, images, labels, idx in (('train', train_images, train_labels, train_idx),
                                           ('test', test_images, test_labels, test_idx)):
            names = _write_pngs(images, idx, osp.join(tmp, 'images', split), f'{split} PNGs')
            splits[split] = [(f'{split}/{name}', int(labels[i])) for name, i in zip(names, idx)]
        table = write_split(tmp, FASHION_MNIST_CLASSES, splits, info)
    return table
