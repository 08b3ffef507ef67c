"""``LDAMLoss`` and ``GCLLoss``: margin losses on cosine logits that need the training class counts.

Both are registered in mmengine's root ``MODELS`` (found from the ``mmseg`` and ``mmpretrain``
scopes) and serve both hosts' loss calls: mmpretrain's ``loss_module(score, target,
avg_factor=N)`` (class indices, or ``(N, C)`` soft targets after a mixup batch augment) and
mmseg's ``loss_decode(seg_logits, seg_label, weight=None, ignore_index=255)``.

The class counts are given (``class_counts``) or set before training by
:class:`~bdcl_mm.engine.hooks.ClassCountsHook` / :class:`~bdcl_mm.engine.hooks.DRWHook`
(:meth:`ClassCountLoss.set_class_counts`). The counts, the margins and the current class weights
(uniform, or DRW's after the deferral point) are buffers, so checkpoints carry them. The maths:
:mod:`bdcl_mm.models.losses.margin_functional`.
"""
from typing import Optional, Sequence

import torch
from mmengine.registry import MODELS
from torch import Tensor, nn

from bdcl_mm.utils import check_number, check_positive_int
from .margin_functional import (check_class_counts, gcl_loss, gcl_noise_scale, ldam_loss,
                                ldam_margins, sample_gcl_noise)

__all__ = ['ClassCountLoss', 'GCLLoss', 'LDAMLoss']

_BUFFERS = ('class_counts', 'class_weight', 'class_terms')


class ClassCountLoss(nn.Module):
    """Base of the losses whose per-class terms come from the training class counts.

    Buffers (``(C,)`` float32, empty until the counts are known): ``class_counts``,
    ``class_weight`` (the weights in use, ones until DRW switches) and ``class_terms`` (what the
    loss derives from the counts: LDAM's margins, GCL's noise scales).

    Args:
        num_classes (int, optional): C; checked against the counts when both are given.
        class_counts (sequence, optional): training samples per class; None to have them set
            by the hook.
        loss_weight (float): multiplier of the loss. Defaults to 1.0.
        loss_name (str): the key the loss is logged under (mmseg); starts with ``loss_``.
    """

    #: the name used in messages
    method = 'margin loss'

    def __init__(self,
                 num_classes: Optional[int] = None,
                 class_counts: Optional[Sequence[float]] = None,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_margin') -> None:
        super().__init__()
        self.num_classes = check_positive_int('num_classes', num_classes, allow_none=True)
        self.loss_weight = check_number('loss_weight', loss_weight, minimum=0)
        if not (isinstance(loss_name, str) and loss_name.startswith('loss_')):
            raise ValueError(f"loss_name must be a str starting with 'loss_', got {loss_name!r}")
        self._loss_name = loss_name
        for name in _BUFFERS:
            self.register_buffer(name, torch.zeros(0))
        self.counts_from_config = class_counts is not None
        if class_counts is not None:
            self.set_class_counts(class_counts)

    @property
    def loss_name(self) -> str:
        """The loss's log key (mmseg reads it)."""
        return self._loss_name

    @property
    def has_class_counts(self) -> bool:
        return self.class_counts.numel() > 0

    def class_terms_from(self, counts: Tensor) -> Tensor:
        """The ``(C,)`` per-class terms of the loss for these counts."""
        raise NotImplementedError

    def set_class_counts(self, counts: Sequence[float]) -> None:
        """Set the training class counts; the class weights are reset to ones."""
        values = check_class_counts(counts, f'{type(self).__name__} class_counts')
        if self.num_classes is not None and values.numel() != self.num_classes:
            raise ValueError(f'{type(self).__name__}: {values.numel()} class counts for '
                             f'num_classes={self.num_classes}; give one count per class')
        device = self.class_counts.device
        self.class_counts = values.float().to(device)
        self.class_terms = self.class_terms_from(values).to(device)
        self.class_weight = torch.ones(values.numel(), device=device)

    def set_class_weight(self, weight: Tensor) -> None:
        """Set the ``(C,)`` class weights (finite, non-negative)."""
        weight = torch.as_tensor(weight, dtype=torch.float32)
        if weight.shape != self.class_counts.shape:
            raise ValueError(f'{type(self).__name__}: class weights of shape '
                             f'{tuple(weight.shape)} for {self.class_counts.numel()} classes')
        if not torch.isfinite(weight).all() or (weight < 0).any():
            raise ValueError(f'{type(self).__name__}: class weights must be finite and >= 0, got '
                             f'{weight.tolist()}')
        self.class_weight.copy_(weight.to(self.class_weight.device))

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs) -> None:
        # buffers are sized by the counts: take the checkpoint's size before loading
        for name in _BUFFERS:
            key = prefix + name
            if key in state_dict and state_dict[key].shape != getattr(self, name).shape:
                setattr(self, name, torch.zeros_like(state_dict[key],
                                                     device=getattr(self, name).device))
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def _check_ready(self, pred: Tensor, weight: Optional[Tensor]) -> None:
        if not self.has_class_counts:
            raise ValueError(f'{type(self).__name__} has no class counts: add '
                             f"custom_hooks=[dict(type='ClassCountsHook')] (or 'DRWHook') to the "
                             f'config, or give class_counts=[...] in the loss config')
        if pred.shape[1] != self.class_counts.numel():
            raise ValueError(f'{type(self).__name__}: logits have {pred.shape[1]} classes but '
                             f'the class counts {self.class_counts.numel()}')
        if weight is not None:
            raise ValueError(f'{type(self).__name__} takes no per-element weights (an mmseg '
                             f'pixel sampler such as OHEM): remove decode_head.sampler')


@MODELS.register_module()
class LDAMLoss(ClassCountLoss):
    """LDAM loss (Cao et al., NeurIPS 2019; reference kaidic/LDAM-DRW) on cosine logits.

    ``CE(s * (cos - m_y e_y), w)`` with ``m_c = max_m * n_c^(-1/4) / max_k n_k^(-1/4)`` and the
    class weights ``w`` of the buffer ``class_weight`` (ones; :class:`DRWHook` switches them to
    effective-number weights at the deferral point). The loss is the weighted mean over valid
    entries (``F.cross_entropy(weight=w)``), ``ignore_index`` entries left out.

    Args:
        num_classes (int, optional): C.
        class_counts (sequence, optional): counts per class, or None (set by the hook).
        max_m (float): margin of the rarest class. Defaults to 0.5.
        s (float): logit scale. Defaults to 30.
        loss_weight (float): Defaults to 1.0.
        loss_name (str): Defaults to ``'loss_ldam'``.
    """

    method = 'LDAM'

    def __init__(self,
                 num_classes: Optional[int] = None,
                 class_counts: Optional[Sequence[float]] = None,
                 max_m: float = 0.5,
                 s: float = 30.0,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_ldam') -> None:
        self.max_m = check_number('max_m', max_m, minimum=0, include_minimum=False)
        self.s = check_number('s', s, minimum=0, include_minimum=False)
        super().__init__(num_classes, class_counts, loss_weight, loss_name)

    @property
    def margins(self) -> Tensor:
        """``(C,)`` LDAM margins."""
        return self.class_terms

    def class_terms_from(self, counts: Tensor) -> Tensor:
        return ldam_margins(counts, self.max_m)

    def forward(self,
                cosine: Tensor,
                target: Tensor,
                weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None,
                ignore_index: Optional[int] = None,
                **kwargs) -> Tensor:
        """Loss of cosine logits ``(N, C[, H, W])`` against ``target``.

        ``avg_factor`` (mmpretrain's batch size) is not used: the loss is the weighted mean.
        """
        self._check_ready(cosine, weight)
        return self.loss_weight * ldam_loss(cosine, target, self.margins, self.s,
                                            self.class_weight, ignore_index)


@MODELS.register_module()
class GCLLoss(ClassCountLoss):
    """Gaussian clouded logit loss (Li, Cheung & Lu, CVPR 2022; reference Keke921/GCLLoss).

    In training, ``cos_c - noise_mul * |clamp(N(0, 1/3), -1, 1)| * g_c / max g`` on every class
    column (``g_c = log n_max - log n_c``: no noise for the most frequent class), a fresh draw
    per logit and call; then the margin ``m`` on the target column and ``CE(s * logits)``
    (``gamma`` None) or the reference's focal form (``gamma`` a number, stage 2). The noise is
    in the loss only: the head's predictions use the clean cosines.

    Args:
        num_classes (int, optional): C.
        class_counts (sequence, optional): counts per class, or None (set by the hook).
        m (float): target margin. Defaults to 0 (stage 1; stage 2 uses 0.1).
        s (float): logit scale. Defaults to 30 (stage 2 uses 20).
        noise_mul (float): the cloud's size. Defaults to 0.5.
        gamma (float, optional): focal exponent, None for plain CE. Defaults to None (stage 2
            uses 1).
        loss_weight (float): Defaults to 1.0.
        loss_name (str): Defaults to ``'loss_gcl'``.
    """

    method = 'GCL'

    def __init__(self,
                 num_classes: Optional[int] = None,
                 class_counts: Optional[Sequence[float]] = None,
                 m: float = 0.0,
                 s: float = 30.0,
                 noise_mul: float = 0.5,
                 gamma: Optional[float] = None,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_gcl') -> None:
        self.m = check_number('m', m, minimum=0)
        self.s = check_number('s', s, minimum=0, include_minimum=False)
        self.noise_mul = check_number('noise_mul', noise_mul, minimum=0)
        self.gamma = None if gamma is None else check_number('gamma', gamma, minimum=0)
        super().__init__(num_classes, class_counts, loss_weight, loss_name)

    @property
    def noise_scale(self) -> Tensor:
        """``(C,)`` ``g_c / max g``."""
        return self.class_terms

    def class_terms_from(self, counts: Tensor) -> Tensor:
        return gcl_noise_scale(counts)

    def forward(self,
                cosine: Tensor,
                target: Tensor,
                weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None,
                ignore_index: Optional[int] = None,
                **kwargs) -> Tensor:
        """Loss of cosine logits ``(N, C)`` against ``target`` (``avg_factor`` unused)."""
        self._check_ready(cosine, weight)
        noise = sample_gcl_noise(cosine.shape, device=cosine.device)
        return self.loss_weight * gcl_loss(cosine, target, self.noise_scale, noise, self.m,
                                           self.s, self.noise_mul, self.class_weight,
                                           self.gamma, ignore_index)
