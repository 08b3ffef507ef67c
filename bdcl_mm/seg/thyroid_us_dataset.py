"""``ThyroidUSDataset``: thyroid-ultrasound nodule segmentation in the TUI folder layout."""
import hashlib
import json
import os
import os.path as osp
import sys
import warnings
from typing import Dict, List, Optional, Sequence

import mmcv
import numpy as np
from mmengine import fileio
from mmengine.dataset import force_full_init
from mmengine.utils import ProgressBar
from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS

from .pair_sizes import check_pair_sizes

GENERATE_HINT = ('To try the project without the private TUI data, generate the synthetic set: '
                 '`python tools/dataset_converters/thyroid_us_synth.py data/TUI --num-train 400 '
                 '--num-val 100`')
CACHE_PREFIX = '.bdcl_cat_ids_'


@DATASETS.register_module()
class ThyroidUSDataset(BaseSegDataset):
    """Thyroid ultrasound (TUI layout): background, benign nodule, malignant nodule.

    Layout (same stem, ``.png`` images and label maps holding 0, 1, 2 and optionally 255 = ignore)::

        data/TUI/img_dir/{train,val}/xxx.png
        data/TUI/ann_dir/{train,val}/xxx.png

    Besides mmseg's ``BaseSegDataset`` behaviour it offers ``get_cat_ids(idx)`` (the classes present
    in the label map of sample ``idx``, as mmengine's ``ClassBalancedDataset`` and class-balanced
    samplers expect), computed once for the whole dataset with a progress bar and cached in memory
    and, with ``cat_ids_cache=True``, in a hidden JSON file in the annotation folder whose name
    holds a digest of the file list (sizes and modification times included), so a changed dataset
    gets a new file and no user file is ever overwritten. A label value outside the classes (other
    than ``ignore_index``) is an error naming the file and the value, when cat ids are computed
    and, with ``check_labels=True``, whenever a sample is loaded. With ``check_sizes=True`` an
    image and its label map of different sizes are an error naming both files when the dataset
    is built (before training), read from the file headers only.

    Args:
        img_suffix (str): image suffix. Defaults to '.png'.
        seg_map_suffix (str): label-map suffix. Defaults to '.png'.
        reduce_zero_label (bool): must stay False for this layout (0 is background).
        cat_ids_cache (bool): also keep the cat ids in a cache file next to the label maps.
            Defaults to False.
        check_labels (bool): check every loaded label map's values. Defaults to True.
        check_sizes (bool): check that each local image and label map have the same size.
            Defaults to True.
        **kwargs: the arguments of ``BaseSegDataset`` (``data_root``, ``data_prefix``,
            ``pipeline``, ...).
    """

    METAINFO = dict(
        classes=('background', 'benign', 'malignant'),
        palette=[[0, 0, 0], [60, 200, 60], [230, 40, 40]])

    def __init__(self,
                 img_suffix: str = '.png',
                 seg_map_suffix: str = '.png',
                 reduce_zero_label: bool = False,
                 cat_ids_cache: bool = False,
                 check_labels: bool = True,
                 check_sizes: bool = True,
                 **kwargs) -> None:
        self.cat_ids_cache = cat_ids_cache
        self.check_labels = check_labels
        self.check_sizes = check_sizes
        self._cat_ids: Optional[List[List[int]]] = None
        super().__init__(
            img_suffix=img_suffix,
            seg_map_suffix=seg_map_suffix,
            reduce_zero_label=reduce_zero_label,
            **kwargs)

    def load_data_list(self) -> List[dict]:
        """List image / label pairs; a missing folder or label map, or a pair of two sizes, is a
        clear error."""
        img_dir = self.data_prefix.get('img_path', '')
        ann_dir = self.data_prefix.get('seg_map_path', None)
        local = isinstance(
            fileio.get_file_backend(img_dir or '.', backend_args=self.backend_args),
            fileio.LocalBackend)
        if local and not self.ann_file:
            for kind, folder in (('image', img_dir), ('annotation', ann_dir)):
                if folder is not None and not osp.isdir(folder):
                    raise FileNotFoundError(
                        f'ThyroidUSDataset: {kind} folder {folder!r} does not exist. Expected the '
                        f'TUI layout <data_root>/img_dir/{{train,val}}/*.png and '
                        f'<data_root>/ann_dir/{{train,val}}/*.png (set data_root / data_prefix). '
                        f'{GENERATE_HINT}')
        data_list = super().load_data_list()
        if not data_list:
            raise FileNotFoundError(f'ThyroidUSDataset: no *{self.img_suffix} images in '
                                    f'{img_dir!r}. {GENERATE_HINT}')
        missing = [info['seg_map_path'] for info in data_list
                   if 'seg_map_path' in info and not osp.isfile(info['seg_map_path'])]
        if local and missing:
            raise FileNotFoundError(
                f'ThyroidUSDataset: {len(missing)} label map(s) missing, e.g. {missing[0]!r}; each '
                f'image needs a label map with the same stem in {ann_dir!r}')
        if local and self.check_sizes:
            check_pair_sizes([(info['img_path'], info['seg_map_path'])
                              for info in data_list if 'seg_map_path' in info],
                             owner='ThyroidUSDataset')
        return data_list

    def _read_labels(self, path: str) -> np.ndarray:
        """Read a label map and apply ``reduce_zero_label`` / ``label_map`` as mmseg's loader."""
        labels = mmcv.imfrombytes(
            fileio.get(path, backend_args=self.backend_args), flag='unchanged',
            backend='pillow').squeeze()
        if self.reduce_zero_label:
            labels = labels.astype(np.int64)
            labels[labels == 0] = 255
            labels = labels - 1
            labels[labels == 254] = 255
        if self.label_map:
            mapped = labels.copy()
            for old, new in self.label_map.items():
                mapped[labels == old] = new
            labels = mapped
        return labels

    def _check_values(self, values: Sequence[int], path: str) -> None:
        num_classes = len(self.metainfo['classes'])
        bad = [int(v) for v in values if not (0 <= v < num_classes or v == self.ignore_index)]
        if bad:
            raise ValueError(
                f'ThyroidUSDataset: label map {path!r} holds value(s) {bad} outside the '
                f'{num_classes} classes {tuple(self.metainfo["classes"])} (allowed: 0..'
                f'{num_classes - 1}, and {self.ignore_index} = ignore). Fix the annotation or the '
                f'dataset metainfo.')

    def _cache_path(self, paths: List[str]) -> Optional[str]:
        """Cache file named by a digest of the label maps' paths, sizes and mtimes."""
        if not paths or not all(osp.isfile(p) for p in paths):
            return None
        digest = hashlib.sha1()
        for path in paths:
            stat = os.stat(path)
            digest.update(f'{osp.abspath(path)}\0{stat.st_size}\0{stat.st_mtime_ns}\n'.encode())
        folder = osp.commonpath([osp.dirname(osp.abspath(p)) for p in paths])
        return osp.join(folder, f'{CACHE_PREFIX}{digest.hexdigest()[:20]}.json')

    @staticmethod
    def _read_cache(path: str, num: int) -> Optional[List[List[int]]]:
        try:
            with open(path) as f:
                content = json.load(f)
        except (OSError, ValueError):
            return None
        if not isinstance(content, dict) or content.get('format') != 'bdcl_mm.cat_ids/1':
            return None
        cat_ids = content.get('cat_ids')
        if not isinstance(cat_ids, list) or len(cat_ids) != num:
            return None
        return [[int(c) for c in ids] for ids in cat_ids]

    @staticmethod
    def _write_cache(path: str, cat_ids: List[List[int]]) -> None:
        if osp.exists(path):
            return
        tmp = f'{path}.{os.getpid()}.tmp'
        try:
            with open(tmp, 'x') as f:
                json.dump({'format': 'bdcl_mm.cat_ids/1', 'cat_ids': cat_ids}, f)
            os.replace(tmp, path)
        except OSError as err:
            warnings.warn(f'ThyroidUSDataset: could not write the cat-ids cache {path!r} ({err}); '
                          f'continuing without it')

    def _compute_cat_ids(self) -> List[List[int]]:
        paths = [self.get_data_info(i)['seg_map_path'] for i in range(len(self))]
        cache = self._cache_path(paths) if self.cat_ids_cache else None
        if cache is not None and osp.exists(cache):
            cached = self._read_cache(cache, len(paths))
            if cached is not None:
                return cached
            cache = None  # not ours or stale: leave the file alone
        cat_ids = []
        progress = ProgressBar(len(paths), file=sys.stdout)
        for path in paths:
            labels = self._read_labels(path)
            present = np.flatnonzero(np.bincount(labels.ravel().astype(np.int64), minlength=1))
            self._check_values(present, path)
            cat_ids.append([int(v) for v in present if v != self.ignore_index])
            progress.update()
        if cache is not None:
            self._write_cache(cache, cat_ids)
        return cat_ids

    @force_full_init
    def get_cat_ids(self, idx: int) -> List[int]:
        """Classes present in the label map of sample ``idx`` (ignore pixels excluded).

        Args:
            idx (int): sample index.

        Returns:
            list[int]: sorted class indices.
        """
        if self._cat_ids is None:
            self._cat_ids = self._compute_cat_ids()
        return list(self._cat_ids[idx])

    def prepare_data(self, idx: int) -> Dict:
        """Run the pipeline; with ``check_labels`` reject label values outside the classes."""
        results = super().prepare_data(idx)
        sample = results.get('data_samples') if isinstance(results, dict) else None
        gt = getattr(sample, 'gt_sem_seg', None) if self.check_labels else None
        if gt is not None:
            data = gt.data
            bad = (data >= len(self.metainfo['classes'])) & (data != self.ignore_index)
            if bool(bad.any()):
                self._check_values(sorted(set(data[bad].unique().tolist())),
                                   self.get_data_info(idx).get('seg_map_path', '?'))
        return results
