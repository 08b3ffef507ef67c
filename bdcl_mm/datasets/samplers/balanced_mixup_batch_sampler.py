"""``BalancedMixUpBatchSampler``: Balanced-MixUp's paired batches (instance half, balanced half)."""
from typing import Iterator, List, Optional

from mmengine.dataset import InfiniteSampler
from mmengine.dist import get_dist_info
from mmengine.registry import DATA_SAMPLERS
from torch.utils.data import BatchSampler, Sampler

from .class_balanced_sampler import ClassBalancedSampler


@DATA_SAMPLERS.register_module()
class BalancedMixUpBatchSampler(BatchSampler):
    """Batches of ``B`` instance-sampled indices followed by ``B`` class-balanced indices.

    The sampling of Balanced-MixUp (Galdran et al., MICCAI 2021; reference
    agaldran/balanced_mixup, ``utils/get_loaders.py``: an instance loader and a class-balanced
    loader iterated side by side). The instance half is the dataloader's own ``sampler`` (e.g.
    mmengine's ``DefaultSampler``, shuffled, split over ranks), in batches of ``batch_size``;
    each batch is followed by as many items of the plugin's :class:`ClassBalancedSampler`
    (``num_samples_cls=1``: a uniformly drawn class, then the next item of that class's
    reshuffled queue), so every class is drawn with probability ``1/C``. An epoch has the
    instance sampler's batches (the last one may be short: both halves are then short). The
    ``BalancedMixUp`` batch augment mixes the second half into the first, so the model sees
    ``batch_size`` images per step.

    Config (mmengine builds it with the dataloader's ``sampler`` and ``batch_size``)::

        train_dataloader = dict(batch_size=8, sampler=dict(type='DefaultSampler', shuffle=True),
                                batch_sampler=dict(type='BalancedMixUpBatchSampler'), ...)

    The balanced stream is seeded by ``[seed, epoch]`` with the instance sampler's ``seed`` and
    ``epoch`` (mmengine's ``DistSamplerSeedHook`` sets the epoch on the instance sampler), or by
    ``seed`` alone behind an ``InfiniteSampler`` (iteration-based loops); all ranks draw one
    stream and read disjoint parts of it (:class:`ClassBalancedSampler`).

    Args:
        sampler (Sampler): The instance sampler; it must have a ``dataset`` whose classes
            :class:`ClassBalancedSampler` can read (``get_cat_ids``/``get_gt_labels``).
        batch_size (int): ``B``, the images per step after mixing (each dataloader batch holds
            ``2B`` items).
        drop_last (bool): Drop a last short batch. Defaults to False.
        seed (int, optional): Seed of the balanced stream. Defaults to the instance sampler's
            ``seed`` (else ``mmengine.dist.sync_random_seed()``).
        skip_empty_classes (bool): Passed to :class:`ClassBalancedSampler`. Defaults to False.
        rank (int, optional): This rank; defaults to ``get_dist_info()``.
        world_size (int, optional): Number of ranks; defaults to ``get_dist_info()``.

    Raises:
        ValueError: If the sampler has no dataset or is a :class:`ClassBalancedSampler`, or
            when :class:`ClassBalancedSampler` refuses the dataset (no class labels, an empty
            class), with its reason.
    """

    def __init__(self,
                 sampler: Sampler,
                 batch_size: int,
                 drop_last: bool = False,
                 seed: Optional[int] = None,
                 skip_empty_classes: bool = False,
                 rank: Optional[int] = None,
                 world_size: Optional[int] = None) -> None:
        super().__init__(sampler, batch_size, drop_last)
        dataset = getattr(sampler, 'dataset', None)
        if dataset is None:
            raise ValueError(
                f'BalancedMixUpBatchSampler reads the classes from its sampler\'s dataset, but '
                f'{type(sampler).__name__} has no dataset attribute; use mmengine\'s '
                "DefaultSampler as the dataloader's sampler.")
        if seed is None:
            seed = getattr(sampler, 'seed', None)
        if world_size is None:
            world_size = get_dist_info()[1]
        if isinstance(sampler, ClassBalancedSampler):
            raise ValueError(
                'BalancedMixUpBatchSampler draws the class-balanced half itself; its sampler '
                "gives the instance half and must sample the dataset as it is: use sampler=dict("
                "type='DefaultSampler', shuffle=True), not ClassBalancedSampler.")
        try:
            # one balanced item per instance item on every rank
            self.balanced = ClassBalancedSampler(
                dataset,
                num_samples_cls=1,
                num_samples=len(sampler) * world_size,
                seed=seed,
                infinite=isinstance(sampler, InfiniteSampler),
                skip_empty_classes=skip_empty_classes,
                rank=rank,
                world_size=world_size)
        except ValueError as error:
            raise ValueError(f'BalancedMixUpBatchSampler draws its class-balanced half with '
                             f'ClassBalancedSampler, which refused the dataset: {error}') from error

    def __iter__(self) -> Iterator[List[int]]:
        epoch = getattr(self.sampler, 'epoch', None)
        if epoch is not None:
            self.balanced.set_epoch(epoch)
        balanced = iter(self.balanced)
        batch: List[int] = []
        for index in self.sampler:
            batch.append(int(index))
            if len(batch) == self.batch_size:
                yield batch + [next(balanced) for _ in batch]
                batch = []
        if batch and not self.drop_last:
            yield batch + [next(balanced) for _ in batch]

    def set_epoch(self, epoch: int) -> None:
        """Set the epoch of the instance sampler (if it has one) and of the balanced stream."""
        if hasattr(self.sampler, 'set_epoch'):
            self.sampler.set_epoch(epoch)
        self.balanced.set_epoch(epoch)
