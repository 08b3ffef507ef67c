"""Class-balanced, hard-aware pixel sampling for pixel-level contrastive learning (pure torch).

Pixel contrast cannot use every pixel of a batch (a ``(B, H, W)`` feature grid holds ~10^5 pixels
and the loss is quadratic), so a small set is drawn every iteration, as in BDCL (ICASSP 2024) and in
the pixel contrast of Wang et al., "Exploring Cross-Image Pixel Contrast for Semantic Segmentation"
(ICCV 2021):

* per image and per class present, up to ``max_views`` pixels, half *hard* (the segmentation head
  predicts another class) and half *easy*; when one half runs short the other tops it up, and with
  an odd quota the extra pixel is hard;
* at most ``max_samples`` pixels per batch, shared max-min fairly: first between classes, then,
  inside each class, between images (water-filling), so a class with few pixels keeps all it has
  (a five-pixel tumour is never dropped) and the rest of the budget goes to the larger classes;
* pixels labelled ``ignore_index`` are never drawn.

Everything is vectorised (counting with ``bincount``, ranking with one stable sort); the only
randomness is a ``torch.randperm`` (and ``torch.rand`` for budget remainders) from the given
generator, so seeded runs are reproducible.
"""
from typing import NamedTuple, Optional, Union

import torch
from torch import Tensor

from bdcl_mm.utils import check_positive_int


class PixelSamples(NamedTuple):
    """The pixels drawn from a batch.

    Attributes:
        index (Tensor): ``(N,)`` int64 flat indices into the ``B * H * W`` pixels (image-major).
        labels (Tensor): ``(N,)`` int64 ground-truth class of each drawn pixel.
        preds (Tensor): ``(N,)`` int64 predicted class of each drawn pixel (``preds != labels``
            marks the hard pixels).
    """

    index: Tensor
    labels: Tensor
    preds: Tensor


def water_fill(demand: Tensor, budget: Union[int, Tensor],
               generator: Optional[torch.Generator] = None) -> Tensor:
    """Max-min fair integer allocation of a budget among groups, independently per row.

    Each row gets ``alloc = min(demand, L)`` for the largest level ``L`` that fits the row's budget;
    the ``r`` units left over (``r`` < number of unsatisfied groups) go, one each, to ``r`` of the
    groups still short, chosen at random. A row whose total demand fits its budget gets its demand.

    Args:
        demand (Tensor): ``(R, G)`` or ``(G,)`` non-negative integer demands.
        budget (int | Tensor): scalar or ``(R,)`` non-negative integer budgets.
        generator (torch.Generator, optional): source of randomness for the leftover units.

    Returns:
        Tensor: int64 allocation with the shape of ``demand``; ``alloc <= demand`` and each row sums
        to ``min(budget, demand.sum())``.
    """
    squeeze = demand.dim() == 1
    demand = demand.reshape(1, -1) if squeeze else demand
    if demand.dim() != 2:
        raise ValueError(f'demand must have shape (G,) or (R, G), got {tuple(demand.shape)}')
    demand = demand.long()
    rows, groups = demand.shape
    budget = torch.as_tensor(budget, dtype=torch.long, device=demand.device).expand(rows)
    if (demand < 0).any() or (budget < 0).any():
        raise ValueError('demand and budget must be non-negative')
    if groups == 0:
        return demand.reshape(-1) if squeeze else demand

    sorted_demand, order = demand.sort(dim=1)
    cumulative = sorted_demand.cumsum(dim=1)
    position = torch.arange(groups, device=demand.device)
    # cost of raising every group to the level sorted_demand[:, k]
    cost = cumulative + sorted_demand * (groups - 1 - position)
    first_short = (cost <= budget[:, None]).sum(dim=1).clamp(max=groups - 1)  # (R,)
    satisfied = torch.where(first_short > 0,
                            cumulative.gather(1, (first_short - 1).clamp(min=0)[:, None])[:, 0],
                            torch.zeros_like(budget))
    short = groups - first_short
    level = (budget - satisfied).clamp(min=0) // short
    remainder = (budget - satisfied).clamp(min=0) - level * short
    alloc_sorted = torch.minimum(sorted_demand, level[:, None])
    is_short = position[None, :] >= first_short[:, None]
    keys = torch.rand(rows, groups, generator=generator, device=demand.device)
    keys = keys.masked_fill(~is_short, 2.0)
    rank = keys.argsort(dim=1).argsort(dim=1)
    alloc_sorted = alloc_sorted + (rank < remainder[:, None]).long()
    alloc = torch.minimum(alloc_sorted, sorted_demand)
    fits = demand.sum(dim=1) <= budget
    alloc = torch.where(fits[:, None], sorted_demand, alloc)
    result = torch.empty_like(alloc).scatter_(1, order, alloc)
    return result.reshape(-1) if squeeze else result


def sample_pixels(labels: Tensor,
                  preds: Tensor,
                  num_classes: int,
                  max_views: int,
                  max_samples: Optional[int] = None,
                  ignore_index: int = 255,
                  generator: Optional[torch.Generator] = None) -> PixelSamples:
    """Draw class-balanced hard and easy pixels from a batch of label maps.

    Args:
        labels (Tensor): ``(B, H, W)`` (or ``(B, P)``) int ground truth on the feature grid.
        preds (Tensor): same shape, int predicted classes (the head's argmax).
        num_classes (int): ``C``; labels other than ``ignore_index`` must lie in ``[0, C)``.
        max_views (int): most pixels drawn per (image, class), > 0.
        max_samples (int, optional): most pixels drawn per batch (>= 1); None for no cap.
        ignore_index (int): label of pixels never drawn.
        generator (torch.Generator, optional): on the device of ``labels``.

    Returns:
        PixelSamples: ``index (N,)``, ``labels (N,)``, ``preds (N,)``, grouped by image and class.
    """
    if labels.shape != preds.shape or labels.dim() < 2:
        raise ValueError(f'labels and preds must have the same shape (B, H, W), got '
                         f'{tuple(labels.shape)} and {tuple(preds.shape)}')
    check_positive_int('num_classes', num_classes)
    check_positive_int('max_views', max_views)
    check_positive_int('max_samples', max_samples, allow_none=True)
    batch = labels.shape[0]
    pixels = labels[0].numel()
    flat_labels = labels.reshape(-1).long()
    flat_preds = preds.reshape(-1).long()
    device = labels.device

    valid_index = (flat_labels != ignore_index).nonzero().squeeze(1)
    valid_labels = flat_labels[valid_index]
    if valid_labels.numel() and (valid_labels.min() < 0 or valid_labels.max() >= num_classes):
        bad = valid_labels[(valid_labels < 0) | (valid_labels >= num_classes)]
        raise ValueError(f'labels must lie in [0, {num_classes}) or equal ignore_index='
                         f'{ignore_index}; found {sorted(set(bad.unique().tolist()))}')
    easy = (flat_preds[valid_index] == valid_labels).long()
    segment = ((valid_index // pixels) * num_classes + valid_labels) * 2 + easy  # (M,)
    counts = torch.bincount(segment, minlength=batch * num_classes * 2)  # hard, easy per group
    per_group = counts.view(batch, num_classes, 2)
    demand = per_group.sum(-1).clamp(max=max_views)  # (B, C)
    if max_samples is not None and int(demand.sum()) > max_samples:
        class_budget = water_fill(demand.sum(0), max_samples, generator)  # (C,)
        quota = water_fill(demand.t(), class_budget, generator).t()  # (B, C)
    else:
        quota = demand
    num_hard, num_easy = per_group[..., 0], per_group[..., 1]
    take_hard = torch.minimum(num_hard, quota - torch.minimum(num_easy, quota // 2))
    segment_quota = torch.stack([take_hard, quota - take_hard], dim=-1).reshape(-1)

    perm = torch.randperm(valid_index.numel(), generator=generator, device=device)
    sorted_segment, order = torch.sort(segment[perm], stable=True)
    start = counts.cumsum(0) - counts
    rank = torch.arange(sorted_segment.numel(), device=device) - start[sorted_segment]
    chosen = perm[order[rank < segment_quota[sorted_segment]]]
    index = valid_index[chosen]
    return PixelSamples(index, flat_labels[index], flat_preds[index])
