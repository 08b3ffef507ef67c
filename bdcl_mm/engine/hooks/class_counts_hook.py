"""``ClassCountsHook`` and ``DRWHook``: give LDAM/GCL losses the training class counts; DRW.

``ClassCountsHook`` (GCL, LDAM without re-weighting) counts the training set once at
``before_train`` (:mod:`bdcl_mm.engine.class_counts`: images per class for classification, pixels
per class for segmentation), on the main process, broadcasts the counts so every rank holds the
same, logs them and sets them into every ``LDAMLoss`` / ``GCLLoss`` of the model. It also checks
that each such loss sits on a cosine head.

``DRWHook`` adds deferred re-weighting (Cao et al., NeurIPS 2019; reference kaidic/LDAM-DRW
``cifar_train.py``, epoch 160 of 200): uniform class weights before the deferral point and
``(1 - beta) / (1 - beta^n_c)`` normalised to sum to C from it on. The point is an epoch for an
epoch-based loop (set at ``before_train_epoch``, so epoch index ``start`` is the first re-weighted
one, as the reference's ``epoch // 160``) and an iteration for an iteration-based loop (set at
``before_train_iter``). Both hooks are in mmengine's root ``HOOKS``.
"""
from typing import List, Optional, Sequence, Tuple, Union

import torch
from mmengine.dist import broadcast_object_list, is_main_process
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS
from mmengine.runner import IterBasedTrainLoop
from mmengine.utils import ProgressBar
from torch import nn

from bdcl_mm.models.losses import effective_number_weights
from bdcl_mm.models.losses.margin_losses import ClassCountLoss
from bdcl_mm.utils import check_choice, check_non_negative_int, check_number
from ..class_counts import ClassCounts, count_classes

__all__ = ['ClassCountsHook', 'DRWHook', 'find_class_count_losses']


def find_class_count_losses(model: nn.Module) -> List[Tuple[str, ClassCountLoss, nn.Module]]:
    """``(name, loss, owner)`` of every ``LDAMLoss`` / ``GCLLoss`` of a (wrapped) model; the owner
    is the module holding the loss (directly or in a ``ModuleList``), i.e. the head."""
    while is_model_wrapper(model):
        model = model.module
    found = []
    for name, module in model.named_modules():
        for child_name, child in module.named_children():
            items = child.named_children() if isinstance(
                child, (nn.ModuleList, nn.ModuleDict)) else [('', child)]
            for sub, loss in items:
                if isinstance(loss, ClassCountLoss):
                    path = '.'.join(p for p in (name, child_name, sub) if p)
                    found.append((path, loss, module))
    return found


def _check_cosine_heads(losses) -> None:
    for name, loss, owner in losses:
        if not getattr(owner, 'cosine_logits', False):
            raise ValueError(
                f'{name} is {type(loss).__name__} ({loss.method}) on {type(owner).__name__}, '
                f'which gives unnormalised logits; {loss.method} needs cosine logits: use '
                f"type='CosineClsHead' (mmpretrain) or type='CosineDecodeHead', "
                f"host_type='{type(owner).__name__}' (mmseg)")


@HOOKS.register_module()
class ClassCountsHook(Hook):
    """Set the training class counts into every ``LDAMLoss`` / ``GCLLoss`` at ``before_train``.

    Losses given ``class_counts`` in their config keep them; when every loss has its own, the
    training set is not read.

    Args:
        cache_dir (str | bool, optional): cache of the segmentation pixel counts; None:
            ``~/.cache/bdcl_mm/class_counts`` (``$BDCL_MM_CACHE`` moves it); False: no cache.
        progress (bool): show a progress bar while counting masks. Defaults to True.
    """

    priority = 'VERY_HIGH'

    def __init__(self, cache_dir: Union[str, bool, None] = None, progress: bool = True) -> None:
        self.cache_dir = cache_dir
        self.progress = progress
        self.counts: Optional[ClassCounts] = None
        self.losses: List[Tuple[str, ClassCountLoss, nn.Module]] = []

    def _num_classes(self, losses) -> int:
        sizes = {loss.num_classes or getattr(owner, 'num_classes', None) for _, loss, owner in losses}
        sizes.discard(None)
        if len(sizes) != 1:
            raise ValueError(f'{type(self).__name__}: the losses disagree on the number of '
                             f'classes ({sorted(sizes)}); set num_classes on each')
        return sizes.pop()

    def _count(self, runner, losses) -> ClassCounts:
        num_classes = self._num_classes(losses)
        ignore = {getattr(owner, 'ignore_index', 255) for _, _, owner in losses}
        ignore_index = ignore.pop() if len(ignore) == 1 else 255
        result = [None]
        if is_main_process():
            def progress(total):
                bar = ProgressBar(total) if self.progress else None
                return bar.update if bar is not None else (lambda: None)

            who = sorted({f'{type(loss).__name__} ({name})' for name, loss, _ in losses})
            result[0] = count_classes(runner.train_dataloader.dataset, num_classes, ignore_index,
                                      self.cache_dir, progress, who)
        broadcast_object_list(result)
        return result[0]

    def before_train(self, runner) -> None:
        losses = find_class_count_losses(runner.model)
        if not losses:
            raise ValueError(f'{type(self).__name__} found no LDAMLoss or GCLLoss in the model; '
                             f'remove the hook or use one of the losses')
        _check_cosine_heads(losses)
        self.losses = losses
        need = [item for item in losses if not item[1].counts_from_config]
        if need:
            self.counts = self._count(runner, need)
            for _, loss, _ in need:
                loss.set_class_counts(self.counts.counts)
            classes = (runner.train_dataloader.dataset.metainfo or {}).get('classes')
            shown = dict(zip(classes, self.counts.counts)) if classes and len(classes) == len(
                self.counts.counts) else self.counts.counts
            extra = f'; images containing each class {self.counts.presence}' if (
                self.counts.presence is not None) else ''
            print_log(f'class counts ({self.counts.kind}s per class, from the '
                      f'{self.counts.source}): {shown}{extra}', logger='current')
        else:
            self.counts = ClassCounts('config', [int(v) for v in losses[0][1].class_counts])
        for name, loss, _ in losses:
            print_log(f'{name}: {loss.method} per-class terms '
                      f'{[round(v, 4) for v in loss.class_terms.tolist()]}', logger='current')


@HOOKS.register_module()
class DRWHook(ClassCountsHook):
    """:class:`ClassCountsHook` plus deferred re-weighting (DRW) of the losses' class weights.

    Before the deferral point the weights are ones; from it on
    ``w_c = (1 - beta) / (1 - beta^n_c)``, normalised to sum to C.

    Args:
        start (int, optional): the first re-weighted epoch (epoch-based loop) or iteration
            (iteration-based), 0-based. None: ``start_ratio`` of the schedule.
        start_ratio (float): the deferral point as a share of ``max_epochs`` / ``max_iters``,
            rounded; used when ``start`` is None. Defaults to 0.8 (the reference's 160 of 200).
        beta (float): effective-number ``beta``. Defaults to 0.9999.
        weight_counts (str): the counts ``n_c`` of the weights: ``'auto'`` (images for
            classification, masks containing the class for segmentation), ``'samples'`` (the
            counts the margins use: images or pixels) or ``'presence'`` (segmentation only).
            At pixel counts ``beta^n`` is 0 for every class and the weights are exactly uniform,
            hence ``'auto'``. Defaults to ``'auto'``.
        by_epoch (bool, optional): None: epochs unless the loop is iteration-based.
        cache_dir, progress: as :class:`ClassCountsHook`.
    """

    def __init__(self,
                 start: Optional[int] = None,
                 start_ratio: float = 0.8,
                 beta: float = 0.9999,
                 weight_counts: str = 'auto',
                 by_epoch: Optional[bool] = None,
                 cache_dir: Union[str, bool, None] = None,
                 progress: bool = True) -> None:
        super().__init__(cache_dir, progress)
        self.start = check_non_negative_int('start', start, allow_none=True)
        self.start_ratio = check_number('start_ratio', start_ratio, 0, 1)
        self.beta = check_number('beta', beta, 0, 1, include_maximum=False)
        self.weight_counts = check_choice('weight_counts', weight_counts,
                                          ('auto', 'samples', 'presence'))
        self.by_epoch = by_epoch
        self.deferral: Optional[int] = None
        self.drw_weight: Optional[torch.Tensor] = None
        self._active: Optional[bool] = None

    def _weight_counts(self) -> Sequence[int]:
        counts = self.counts
        mode = self.weight_counts
        if mode == 'presence' and counts.presence is None:
            raise ValueError(f"DRWHook weight_counts='presence' needs segmentation masks; the "
                             f'counts are {counts.kind} counts: use \'auto\' or \'samples\'')
        if mode == 'presence' or (mode == 'auto' and counts.presence is not None):
            return counts.presence
        return counts.counts

    def before_train(self, runner) -> None:
        super().before_train(runner)
        if self.by_epoch is None:
            self.by_epoch = not isinstance(runner.train_loop, IterBasedTrainLoop)
        total = runner.max_epochs if self.by_epoch else runner.max_iters
        self.deferral = self.start if self.start is not None else int(
            round(self.start_ratio * total))
        weight_counts = self._weight_counts()
        self.drw_weight = effective_number_weights(weight_counts, self.beta)
        unit = 'epoch' if self.by_epoch else 'iteration'
        print_log(f'DRW: class weights {[round(v, 4) for v in self.drw_weight.tolist()]} '
                  f'(beta {self.beta}, counts {list(weight_counts)}) from {unit} '
                  f'{self.deferral} (0-based) of {total}; uniform before', logger='current')
        self._active = None
        self._apply(runner, runner.epoch if self.by_epoch else runner.iter)

    def _apply(self, runner, position: int) -> None:
        active = position >= self.deferral
        if active == self._active:
            return
        for _, loss, _ in self.losses:
            weight = self.drw_weight if active else torch.ones_like(self.drw_weight)
            loss.set_class_weight(weight)
        if self._active is not None or active:
            unit = 'epoch' if self.by_epoch else 'iteration'
            print_log(f'DRW: {"re-weighted" if active else "uniform"} class weights from {unit} '
                      f'{position}', logger='current')
        self._active = active

    def before_train_epoch(self, runner) -> None:
        if self.by_epoch:
            self._apply(runner, runner.epoch)

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        if not self.by_epoch:
            self._apply(runner, runner.iter)
