"""``ClassBalancedSampler``: uniform class, then a sample of that class (cRT sampling)."""
import math
from typing import Iterator, List, Optional, Sequence, Sized

import numpy as np
from mmengine.dist import get_dist_info, sync_random_seed
from mmengine.registry import DATA_SAMPLERS
from torch.utils.data import Sampler

from bdcl_mm.utils import check_positive_int
from .class_balanced import build_class_indices, class_balanced_blocks, empty_classes, rank_stream


def dataset_cat_ids(dataset: Sized) -> List[Sequence[int]]:
    """Classes of every item of ``dataset``, read once.

    Single-label datasets with ``get_gt_labels()`` (mmpretrain) are read in one call; otherwise
    ``get_cat_ids(idx)`` is called per item (multi-label and segmentation datasets, mmengine's
    dataset wrappers).

    Raises:
        ValueError: If the dataset has no ``get_cat_ids``.
    """
    if not hasattr(dataset, 'get_cat_ids'):
        raise ValueError(
            f'ClassBalancedSampler needs the classes of every item, but '
            f'{type(dataset).__name__} has no get_cat_ids(idx) method. Add one that returns the '
            'list of class indices of item idx (mmpretrain and mmdet datasets have it).')
    get_gt_labels = getattr(dataset, 'get_gt_labels', None)
    if callable(get_gt_labels):
        try:
            labels = np.asarray(get_gt_labels())
        except (ValueError, TypeError, KeyError, NotImplementedError):
            labels = None
        if (labels is not None and labels.ndim == 1 and len(labels) == len(dataset)
                and np.issubdtype(labels.dtype, np.integer)):
            return [(int(label), ) for label in labels]
    return [dataset.get_cat_ids(idx) for idx in range(len(dataset))]


def _class_names(dataset: Sized) -> Optional[Sequence[str]]:
    metainfo = getattr(dataset, 'metainfo', None) or {}
    classes = metainfo.get('classes') if isinstance(metainfo, dict) else None
    return list(classes) if classes else None


@DATA_SAMPLERS.register_module()
class ClassBalancedSampler(Sampler):
    """Class-balanced sampler: draw a class uniformly, then ``num_samples_cls`` of its items.

    The sampling of classifier re-training (cRT, Kang et al., "Decoupling Representation and
    Classifier for Long-Tailed Recognition", ICLR 2020), used by BDCL's stage 2 with
    ``num_samples_cls=4``. Each class's items are visited in a random order that is reshuffled
    when exhausted. All ranks generate one synchronised stream (same seed) and read disjoint
    blocks of it; each rank yields the same number of indices. The maths lives in
    :mod:`bdcl_mm.datasets.samplers.class_balanced`.

    Classes come from ``dataset.get_cat_ids(idx)``; an item of several classes (multi-label,
    segmentation) is in the list of each. ``metainfo['classes']`` gives the number of classes
    (else the largest class index + 1).

    Args:
        dataset (Sized): Dataset with ``get_cat_ids(idx)`` (and optionally ``get_gt_labels()``).
        num_samples_cls (int): Consecutive items drawn per class draw. Defaults to 1.
        num_samples (int, optional): Items per epoch over all ranks. Defaults to
            ``len(dataset)``; each rank yields ``ceil(num_samples / world_size)``.
        seed (int, optional): Seed shared by the ranks. Defaults to
            ``mmengine.dist.sync_random_seed()``.
        infinite (bool): Yield forever (iteration-based loops, like mmengine's
            ``InfiniteSampler``); ``set_epoch`` then has no effect. Defaults to False.
        skip_empty_classes (bool): Never draw classes without items instead of raising.
            Defaults to False.
        rank (int, optional): This rank; defaults to ``get_dist_info()``.
        world_size (int, optional): Number of ranks; defaults to ``get_dist_info()``.

    Raises:
        ValueError: The dataset lacks ``get_cat_ids``, a class has no item (unless
            ``skip_empty_classes``), or an argument is out of range.
    """

    def __init__(self,
                 dataset: Sized,
                 num_samples_cls: int = 1,
                 num_samples: Optional[int] = None,
                 seed: Optional[int] = None,
                 infinite: bool = False,
                 skip_empty_classes: bool = False,
                 rank: Optional[int] = None,
                 world_size: Optional[int] = None) -> None:
        self.num_samples_cls = check_positive_int('num_samples_cls', num_samples_cls)
        dist_rank, dist_world_size = get_dist_info()
        self.rank = dist_rank if rank is None else int(rank)
        self.world_size = dist_world_size if world_size is None else int(world_size)
        if self.world_size < 1 or not 0 <= self.rank < self.world_size:
            raise ValueError(f'need 0 <= rank < world_size, got rank={self.rank}, '
                             f'world_size={self.world_size}.')
        self.dataset = dataset
        self.infinite = infinite
        total = len(dataset) if num_samples is None else num_samples
        if num_samples is None and total == 0:
            raise ValueError(f'ClassBalancedSampler got an empty dataset '
                             f'({type(dataset).__name__}), which cannot be sampled.')
        self.total_size = check_positive_int('num_samples', total)
        self.num_samples = math.ceil(self.total_size / self.world_size)
        self.seed = sync_random_seed() if seed is None else int(seed)
        self.epoch = 0
        self.class_indices = self._build_class_indices(skip_empty_classes)

    def _build_class_indices(self, skip_empty_classes: bool) -> List[np.ndarray]:
        cat_ids = dataset_cat_ids(self.dataset)
        names = _class_names(self.dataset)
        if names is not None:
            num_classes = len(names)
        else:
            num_classes = 1 + max((int(c) for ids in cat_ids for c in ids), default=-1)
        class_indices = build_class_indices(cat_ids, num_classes)
        empty = empty_classes(class_indices)
        if len(empty) == num_classes:
            raise ValueError('ClassBalancedSampler found no item with a class in '
                             f'{type(self.dataset).__name__}.')
        if empty and not skip_empty_classes:
            described = ', '.join(f'{c} ({names[c]!r})' if names else str(c) for c in empty)
            raise ValueError(
                f'ClassBalancedSampler: class(es) {described} have no sample in the dataset, so '
                'they cannot be drawn. Fix the annotation file or the metainfo classes, or pass '
                'skip_empty_classes=True to the sampler to draw only the non-empty classes.')
        return class_indices

    def _rank_stream(self) -> Iterator[int]:
        seed = self.seed if self.infinite else [self.seed, self.epoch]
        blocks = class_balanced_blocks(self.class_indices, self.num_samples_cls,
                                       np.random.default_rng(seed))
        return rank_stream(blocks, self.rank, self.world_size)

    def __iter__(self) -> Iterator[int]:
        stream = self._rank_stream()
        if self.infinite:
            yield from stream
        else:
            for _ in range(self.num_samples):
                yield next(stream)

    def __len__(self) -> int:
        """Indices per rank and epoch."""
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Use the stream of ``epoch`` (no effect in infinite mode)."""
        self.epoch = epoch
