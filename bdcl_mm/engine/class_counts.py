"""Training-set class counts for the losses that need them (LDAM-DRW, GCL).

- **Classification** (an mmpretrain dataset, or any with ``get_gt_labels()``): images per class,
  from the labels the dataset holds in memory (no file is read).
- **Segmentation** (an mmseg dataset: data infos with ``seg_map_path``): pixels per class over
  every training mask, with the dataset's ``label_map`` and ``reduce_zero_label`` applied as
  ``LoadAnnotations`` does and ``ignore_index`` pixels left out; also how many masks contain
  each class (``presence``), which segmentation DRW weights by (docs/components.md, "LDAM-DRW").

Mask counting reads every mask once, so its result is cached as JSON in ``cache_dir``
(default ``~/.cache/bdcl_mm/class_counts``, or ``$BDCL_MM_CACHE/class_counts``), in a file named
by a SHA-256 of what decides the counts: each mask's path, size and modification time, the
number of classes, ``ignore_index``, ``label_map`` and ``reduce_zero_label``. Any change to a
mask gives another key, so a stale entry is never read. Dataset wrappers with a ``dataset``
attribute (``RepeatDataset``, ``ClassBalancedDataset``) are counted on the dataset they wrap;
``ConcatDataset`` sums its parts.
"""
import hashlib
import json
import os
import os.path as osp
import tempfile
from dataclasses import asdict, dataclass
from typing import Callable, List, Optional, Sequence, Union

import numpy as np

__all__ = ['ClassCounts', 'count_classes', 'count_image_labels', 'count_mask_pixels',
           'default_cache_dir']


@dataclass(frozen=True)
class ClassCounts:
    """Training class counts.

    Attributes:
        kind: ``'image'`` (one per labelled image) or ``'pixel'`` (one per labelled pixel).
        counts: samples per class.
        presence: for ``'pixel'``, the masks containing each class; None for ``'image'``.
        source: ``'dataset'`` (counted now) or ``'cache'`` (read from the cache file).
    """
    kind: str
    counts: List[int]
    presence: Optional[List[int]] = None
    source: str = 'dataset'


def default_cache_dir() -> str:
    """``$BDCL_MM_CACHE/class_counts``, else ``~/.cache/bdcl_mm/class_counts``."""
    root = os.environ.get('BDCL_MM_CACHE') or osp.join(osp.expanduser('~'), '.cache', 'bdcl_mm')
    return osp.join(root, 'class_counts')


def _parts(dataset) -> list:
    if hasattr(dataset, 'datasets'):  # ConcatDataset
        return [p for d in dataset.datasets for p in _parts(d)]
    if hasattr(dataset, 'dataset') and not hasattr(dataset, 'data_list'):  # a wrapper
        return _parts(dataset.dataset)
    return [dataset]


def _write_json(path: str, data: dict) -> None:
    """Write ``path`` through a temporary file in its folder, so a reader sees all or nothing."""
    folder = osp.dirname(path)
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, suffix='.tmp')
    with os.fdopen(fd, 'w', encoding='utf-8') as f:
        json.dump(data, f)
        f.write('\n')
    os.replace(tmp, path)


def count_image_labels(dataset, num_classes: int) -> ClassCounts:
    """Images per class from ``dataset.get_gt_labels()`` (one class index per image)."""
    total = np.zeros(num_classes, dtype=np.int64)
    for part in _parts(dataset):
        labels = np.asarray(part.get_gt_labels())
        if labels.ndim != 1 or (labels.size and not np.issubdtype(labels.dtype, np.integer)):
            raise ValueError(f'{type(part).__name__}.get_gt_labels() must give one class index '
                             f'per image (single-label data), got an array of shape '
                             f'{labels.shape} and dtype {labels.dtype}')
        if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
            raise ValueError(f'{type(part).__name__} has labels outside [0, {num_classes}): '
                             f'{sorted(set(labels[(labels < 0) | (labels >= num_classes)].tolist()))[:5]}')
        total += np.bincount(labels, minlength=num_classes)
    return ClassCounts('image', total.tolist())


def _mask_infos(dataset) -> List[dict]:
    infos = []
    for part in _parts(dataset):
        if hasattr(part, 'full_init'):
            part.full_init()
        for i in range(len(part)):
            info = part.get_data_info(i)
            if 'seg_map_path' not in info:
                raise ValueError(f'{type(part).__name__} item {i} has no seg_map_path')
            infos.append(info)
    return infos


def _read_mask(info: dict) -> np.ndarray:
    import mmcv
    from mmengine import fileio
    mask = mmcv.imfrombytes(fileio.get(info['seg_map_path']), flag='unchanged',
                            backend='pillow').squeeze().astype(np.int64)
    label_map = info.get('label_map')
    if label_map:
        mapped = mask.copy()
        for old, new in label_map.items():
            mapped[mask == old] = new
        mask = mapped
    if info.get('reduce_zero_label'):
        mask[mask == 0] = 255
        mask = mask - 1
        mask[mask == 254] = 255
    return mask


def _cache_key(infos: List[dict], num_classes: int, ignore_index: int) -> str:
    files = []
    for info in infos:
        path = str(info['seg_map_path'])
        stat = os.stat(path) if osp.isfile(path) else None
        files.append([path, stat.st_size if stat else None, stat.st_mtime_ns if stat else None,
                      sorted((int(k), int(v)) for k, v in (info.get('label_map') or {}).items()),
                      bool(info.get('reduce_zero_label'))])
    text = json.dumps(dict(kind='pixel', num_classes=num_classes, ignore_index=ignore_index,
                           files=files), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def count_mask_pixels(dataset,
                      num_classes: int,
                      ignore_index: int = 255,
                      cache_dir: Union[str, bool, None] = None,
                      progress: Optional[Callable[[int], Callable[[], None]]] = None
                      ) -> ClassCounts:
    """Pixels per class (and masks containing each class) over the dataset's masks.

    Args:
        dataset: an mmseg dataset (data infos with ``seg_map_path``) or a wrapper of one.
        num_classes: C; a label ``>= C`` that is not ``ignore_index`` is an error.
        ignore_index: label left out. Defaults to 255.
        cache_dir: folder of the cache; None for :func:`default_cache_dir`, False for none.
        progress: ``progress(total)`` returns a callable called once per mask (a progress bar).

    Returns:
        ClassCounts: ``kind='pixel'``.
    """
    infos = _mask_infos(dataset)
    path = None
    if cache_dir is not False:
        folder = default_cache_dir() if cache_dir is None else str(cache_dir)
        path = osp.join(folder, f'pixels_{_cache_key(infos, num_classes, ignore_index)}.json')
        if osp.isfile(path):
            with open(path, encoding='utf-8') as f:
                data = json.load(f)
            return ClassCounts('pixel', data['counts'], data['presence'], source='cache')
    counts = np.zeros(num_classes, dtype=np.int64)
    presence = np.zeros(num_classes, dtype=np.int64)
    tick = progress(len(infos)) if progress is not None else None
    for info in infos:
        mask = _read_mask(info)
        valid = mask[mask != ignore_index]
        bad = valid[(valid < 0) | (valid >= num_classes)]
        if bad.size:
            raise ValueError(f'mask {info["seg_map_path"]} holds labels {sorted(set(bad.tolist()))[:5]} '
                             f'outside [0, {num_classes}) that are not ignore_index='
                             f'{ignore_index}')
        here = np.bincount(valid, minlength=num_classes)
        counts += here
        presence += here > 0
        if tick is not None:
            tick()
    result = ClassCounts('pixel', counts.tolist(), presence.tolist())
    if path is not None:
        _write_json(path, dict(asdict(result), num_masks=len(infos)))
    return result


def count_classes(dataset,
                  num_classes: int,
                  ignore_index: int = 255,
                  cache_dir: Union[str, bool, None] = None,
                  progress: Optional[Callable[[int], Callable[[], None]]] = None,
                  who: Sequence[str] = ('the loss', )) -> ClassCounts:
    """Image counts of a classification dataset or pixel counts of a segmentation dataset.

    Raises:
        ValueError: If the dataset gives neither ``get_gt_labels()`` nor masks.
    """
    parts = _parts(dataset)
    if all(hasattr(p, 'get_gt_labels') for p in parts):
        return count_image_labels(dataset, num_classes)
    if all(hasattr(p, 'get_data_info') for p in parts):
        try:
            return count_mask_pixels(dataset, num_classes, ignore_index, cache_dir, progress)
        except ValueError as err:
            if 'has no seg_map_path' not in str(err):
                raise
    raise ValueError(f'{", ".join(who)} need(s) the training class counts, but the training '
                     f'dataset {type(dataset).__name__} gives none (no get_gt_labels() and no '
                     f'seg_map_path masks); give class_counts=[...] in the loss config')
