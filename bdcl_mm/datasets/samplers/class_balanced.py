"""Class-balanced sampling maths in pure numpy (no host import).

The stream used by classifier re-training (cRT, Kang et al., ICLR 2020) and by stage 2 of BDCL:
repeat forever

1. draw a class ``c`` uniformly from the (non-empty) classes,
2. take the next ``num_samples_cls`` items of class ``c``'s queue; each class's queue is a random
   permutation of its items, reshuffled when exhausted.

So every class is drawn with probability ``1 / C`` whatever its size, and within a class every
item is used once before any is repeated. With several ranks, all ranks generate the same
stream from the same seed and block ``k`` (``num_samples_cls`` consecutive items) goes to rank
``k % world_size``: the ranks read disjoint parts of one stream and every rank keeps whole
blocks.
"""
import itertools
from typing import Dict, Iterable, Iterator, List, Optional, Sequence

import numpy as np

from bdcl_mm.utils import check_non_negative_int, check_positive_int


def build_class_indices(cat_ids: Iterable[Iterable[int]], num_classes: int) -> List[np.ndarray]:
    """Group item indices by class.

    Args:
        cat_ids (Iterable[Iterable[int]]): For every item ``i`` (in order), the classes it
            holds. A multi-label item (or a segmentation image) appears in the list of every
            class it holds.
        num_classes (int): Number of classes ``C``.

    Returns:
        list[np.ndarray]: ``C`` int64 arrays; entry ``c`` holds the items of class ``c``
        (possibly empty).

    Raises:
        ValueError: If an item holds a class outside ``[0, C)``.
    """
    lists: List[List[int]] = [[] for _ in range(num_classes)]
    for index, classes in enumerate(cat_ids):
        for cls in set(int(c) for c in classes):
            if not 0 <= cls < num_classes:
                raise ValueError(f'item {index} has class {cls} outside [0, {num_classes}); '
                                 'the dataset classes and the labels disagree.')
            lists[cls].append(index)
    return [np.asarray(items, dtype=np.int64) for items in lists]


def empty_classes(class_indices: Sequence[np.ndarray]) -> List[int]:
    """Classes without any item."""
    return [cls for cls, items in enumerate(class_indices) if len(items) == 0]


def class_balanced_blocks(class_indices: Sequence[np.ndarray], num_samples_cls: int,
                          rng: np.random.Generator) -> Iterator[np.ndarray]:
    """Yield forever blocks of ``num_samples_cls`` items of one uniformly drawn class.

    Args:
        class_indices (Sequence[np.ndarray]): Items of each class; empty classes are never
            drawn.
        num_samples_cls (int): Consecutive items taken from each drawn class.
        rng (np.random.Generator): Source of randomness (class draws and per-class shuffles).

    Yields:
        np.ndarray: int64 block of shape ``(num_samples_cls,)``.
    """
    check_positive_int('num_samples_cls', num_samples_cls)
    pools = [np.asarray(items, dtype=np.int64) for items in class_indices if len(items)]
    if not pools:
        raise ValueError('class-balanced sampling needs at least one non-empty class.')
    queues: Dict[int, np.ndarray] = {}
    cursors = [0] * len(pools)
    while True:
        cls = int(rng.integers(len(pools)))
        block = np.empty(num_samples_cls, dtype=np.int64)
        for slot in range(num_samples_cls):
            if cls not in queues or cursors[cls] == len(pools[cls]):
                queues[cls] = rng.permutation(pools[cls])
                cursors[cls] = 0
            block[slot] = queues[cls][cursors[cls]]
            cursors[cls] += 1
        yield block


def rank_stream(blocks: Iterator[np.ndarray], rank: int, world_size: int) -> Iterator[int]:
    """Items of the blocks ``k`` with ``k % world_size == rank``, one by one, forever.

    Args:
        blocks (Iterator[np.ndarray]): The shared stream of blocks.
        rank (int): This rank, ``0 <= rank < world_size``.
        world_size (int): Number of ranks.
    """
    if world_size < 1 or not 0 <= rank < world_size:
        raise ValueError(f'need 0 <= rank < world_size, got rank={rank}, '
                         f'world_size={world_size}.')
    for block in itertools.islice(blocks, rank, None, world_size):
        yield from block.tolist()


def class_balanced_indices(class_indices: Sequence[np.ndarray],
                           num_samples: int,
                           num_samples_cls: int = 1,
                           seed: Optional[int] = 0,
                           rank: int = 0,
                           world_size: int = 1) -> np.ndarray:
    """The ``num_samples`` items of ``rank``'s share of a seeded class-balanced stream.

    Args:
        class_indices (Sequence[np.ndarray]): Items of each class (see
            :func:`build_class_indices`).
        num_samples (int): Items to return (per rank).
        num_samples_cls (int): Consecutive items per drawn class.
        seed (int, optional): Seed of the stream shared by all ranks (an integer or a
            sequence of integers, e.g. ``[seed, epoch]``).
        rank (int): This rank.
        world_size (int): Number of ranks.

    Returns:
        np.ndarray: int64 indices of shape ``(num_samples,)``.
    """
    check_non_negative_int('num_samples', num_samples)
    blocks = class_balanced_blocks(class_indices, num_samples_cls, np.random.default_rng(seed))
    stream = rank_stream(blocks, rank, world_size)
    return np.fromiter(itertools.islice(stream, num_samples), dtype=np.int64, count=num_samples)
