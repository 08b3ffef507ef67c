"""Margin losses on cosine logits: LDAM-DRW and GCL (pure torch, no host package).

- **LDAM** (Cao et al., "Learning Imbalanced Datasets with Label-Distribution-Aware Margin Loss",
  NeurIPS 2019; reference kaidic/LDAM-DRW ``losses.py``): per-class margins
  ``m_c = max_m * n_c^(-1/4) / max_k n_k^(-1/4)`` (the rarest class gets ``max_m``), subtracted
  from the target's cosine logit only, then ``CE(s * logits, weight)``.
- **DRW** (same paper, ``cifar_train.py``): class weights ``w_c = (1 - beta) / (1 - beta^n_c)``
  (effective numbers, Cui et al., CVPR 2019) normalised to sum to C, switched on at a deferral
  point; before it the weights are uniform.
- **GCL** (Li, Cheung & Lu, "Long-tailed Visual Recognition via Gaussian Clouded Logit
  Adjustment", CVPR 2022; reference Keke921/GCLLoss ``losses.py``): on every class column,
  ``cos - noise_mul * |clamp(N(0, 1/3), -1, 1)| * g_c / max_k g_k`` with
  ``g_c = log n_max - log n_c``, then the margin ``m`` on the target, ``CE(s * logits)``,
  optionally focal with a detached probability.

Targets are class indices ``(N, ...)`` (``ignore_index`` entries drop out) or soft targets
``(N, C)`` (mixup): a soft target ``t`` gives ``sum_k t_k * loss(target = k)``, the mixup
criterion ``lam * loss(a) + (1 - lam) * loss(b)`` of the references, per sample. Everything is
computed in float32.
"""
from typing import Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = [
    'check_class_counts', 'effective_number_weights', 'gcl_loss', 'gcl_noise_scale',
    'ldam_loss', 'ldam_margins', 'margin_cross_entropy', 'sample_gcl_noise'
]

CountsLike = Union[Tensor, Sequence[float]]
#: Cosine logits may exceed 1 by rounding only.
COSINE_TOLERANCE = 1e-3


def check_class_counts(counts: CountsLike, name: str = 'class_counts') -> Tensor:
    """Class counts as a float64 vector ``(C,)``; every count finite and > 0.

    Raises:
        ValueError: If the counts are not a non-empty 1-D sequence of positive finite numbers.
    """
    values = torch.as_tensor(counts, dtype=torch.float64).detach().cpu()
    if values.dim() != 1 or values.numel() == 0:
        raise ValueError(f'{name} must be a non-empty 1-D sequence (one count per class), got '
                         f'shape {tuple(values.shape)}')
    bad = [i for i, v in enumerate(values.tolist()) if not (v > 0 and v < float('inf'))]
    if bad:
        raise ValueError(f'{name} must be positive and finite for every class; classes {bad} '
                         f'have {[values[i].item() for i in bad]} (a class with no training '
                         f'sample has no margin or weight: drop it or give counts)')
    return values


def ldam_margins(counts: CountsLike, max_m: float = 0.5) -> Tensor:
    """LDAM margins ``m_c = max_m * n_c^(-1/4) / max_k n_k^(-1/4)``.

    Args:
        counts: ``(C,)`` training samples (images or pixels) per class.
        max_m: margin of the rarest class. Defaults to 0.5.

    Returns:
        Tensor: ``(C,)`` float32 margins; pixel shares 92/5/3% give [0.212, 0.440, 0.500].
    """
    if not (isinstance(max_m, (int, float)) and max_m > 0):
        raise ValueError(f'max_m must be a positive number, got {max_m!r}')
    margins = check_class_counts(counts).pow(-0.25)
    return (margins * (max_m / margins.max())).float()


def effective_number_weights(counts: CountsLike, beta: float = 0.9999) -> Tensor:
    """Class-balanced weights ``w_c = (1 - beta) / (1 - beta^n_c)``, normalised to sum to C.

    ``beta = 0`` gives uniform weights (the DRW reference before its deferral epoch).

    Returns:
        Tensor: ``(C,)`` float32 weights.
    """
    if not (isinstance(beta, (int, float)) and 0 <= beta < 1):
        raise ValueError(f'beta must be a number in [0, 1), got {beta!r}')
    n = check_class_counts(counts)
    # 1 - beta^n = -expm1(n log beta), exact for beta close to 1
    effective = -torch.expm1(n * torch.log(torch.tensor(beta, dtype=torch.float64))) \
        if beta > 0 else torch.ones_like(n)
    weights = (1.0 - beta) / effective
    return (weights * (n.numel() / weights.sum())).float()


def gcl_noise_scale(counts: CountsLike) -> Tensor:
    """GCL's per-class noise scale ``g_c / max_k g_k`` with ``g_c = log n_max - log n_c``.

    Zero for the most frequent class(es), one for the rarest. When every class has the same
    count (``max g = 0``) the scale is zero everywhere (the reference divides by zero there).

    Returns:
        Tensor: ``(C,)`` float32 scales in ``[0, 1]``.
    """
    log_n = check_class_counts(counts).log()
    gaps = log_n.max() - log_n
    top = gaps.max()
    return (gaps / top if top > 0 else torch.zeros_like(gaps)).float()


def sample_gcl_noise(shape: Sequence[int],
                     generator: Optional[torch.Generator] = None,
                     device: Optional[torch.device] = None) -> Tensor:
    """``|clamp(N(0, 1/3), -1, 1)|`` of ``shape`` (float32): the Gaussian cloud's radius draws.

    Its mean is ``sqrt(2/pi)/3 = 0.266`` and its std ``(1/3) sqrt(1 - 2/pi) = 0.201`` (the clamp
    at three standard deviations changes both by under 1%).
    """
    noise = torch.randn(tuple(shape), generator=generator, dtype=torch.float32, device=device)
    return (noise / 3.0).clamp(-1.0, 1.0).abs()


def _class_dim_last(logits: Tensor, target: Tensor) -> Tuple[Tensor, Tensor, bool]:
    """``(M, C)`` logits and ``(M,)`` hard or ``(M, C)`` soft targets; whether soft."""
    if logits.dim() < 2:
        raise ValueError(f'logits must be (N, C) or (N, C, ...), got shape {tuple(logits.shape)}')
    num_classes = logits.shape[1]
    flat = logits.float().movedim(1, -1).reshape(-1, num_classes)
    if target.is_floating_point():
        if target.shape != logits.shape or logits.dim() != 2:
            raise ValueError(f'soft targets must be (N, C) like the logits {tuple(logits.shape)}, '
                             f'got {tuple(target.shape)}')
        return flat, target.float(), True
    expected = (logits.shape[0], ) + tuple(logits.shape[2:])
    if tuple(target.shape) != expected:
        raise ValueError(f'class-index targets must have shape {expected} for logits '
                         f'{tuple(logits.shape)}, got {tuple(target.shape)}')
    return flat, target.reshape(-1).long(), False


def margin_cross_entropy(cosine: Tensor,
                         target: Tensor,
                         margins: Tensor,
                         scale: float,
                         class_weight: Optional[Tensor] = None,
                         ignore_index: Optional[int] = None,
                         focal_gamma: Optional[float] = None) -> Tensor:
    """``CE(scale * (cosine - margins[y] on the target column), weight)``.

    Args:
        cosine: ``(N, C)`` or ``(N, C, ...)`` logits (any dtype; float32 inside).
        target: ``(N, ...)`` class indices or ``(N, C)`` soft targets.
        margins: ``(C,)`` margin subtracted from the target column when class ``c`` is the
            target.
        scale: the scale ``s``.
        class_weight: ``(C,)`` weights, or None for uniform.
        ignore_index: class index that drops out (hard targets), or None.
        focal_gamma: None: the weighted mean ``sum_i w_yi l_i / sum_i w_yi``
            (``F.cross_entropy(weight=w)``); a number ``gamma``: the mean of
            ``(1 - exp(-w_yi l_i))^gamma * w_yi l_i`` with the probability detached (GCL's
            ``focal_loss``).

    Returns:
        Tensor: the scalar loss (0, connected to the graph, when no entry is valid).
    """
    flat, labels, soft = _class_dim_last(cosine, target)
    num_classes = flat.shape[1]
    margins = margins.to(flat)
    if margins.shape != (num_classes, ):
        raise ValueError(f'margins must be ({num_classes},), got {tuple(margins.shape)}')
    weight = (torch.ones(num_classes, dtype=flat.dtype, device=flat.device)
              if class_weight is None else class_weight.to(flat))
    if weight.shape != (num_classes, ):
        raise ValueError(f'class_weight must be ({num_classes},), got {tuple(weight.shape)}')
    if soft:
        # loss of every possible target k: logits - margins[k] * e_k, row k of (M, C, C)
        eye = torch.eye(num_classes, dtype=flat.dtype, device=flat.device)
        shifted = scale * (flat[:, None, :] - margins[:, None] * eye)
        per_target = -(torch.diagonal(shifted, dim1=1, dim2=2) - shifted.logsumexp(dim=2))
        mass = labels * weight
        if focal_gamma is None:
            return (mass * per_target).sum() / mass.sum().clamp_min(1e-12)
        weighted = weight * per_target
        focal = (1.0 - torch.exp(-weighted.detach())).pow(focal_gamma) * weighted
        return (labels * focal).sum() / flat.shape[0]
    valid = labels != ignore_index if ignore_index is not None else torch.ones_like(labels,
                                                                                    dtype=bool)
    if valid.any():
        bad = labels[valid][(labels[valid] < 0) | (labels[valid] >= num_classes)]
        if bad.numel():
            raise ValueError(f'target holds class indices {sorted(set(bad.tolist()))[:5]} outside '
                             f'[0, {num_classes}) that are not ignore_index={ignore_index}')
    flat, labels = flat[valid], labels[valid]
    if labels.numel() == 0:
        return cosine.sum() * 0.0
    onehot = F.one_hot(labels, num_classes).to(flat)
    logits = scale * (flat - onehot * margins[labels][:, None])
    per_item = logits.logsumexp(dim=1) - logits.gather(1, labels[:, None]).squeeze(1)
    w = weight[labels]
    if focal_gamma is None:
        return (w * per_item).sum() / w.sum().clamp_min(1e-12)
    weighted = w * per_item
    return ((1.0 - torch.exp(-weighted.detach())).pow(focal_gamma) * weighted).mean()


def _check_cosine(cosine: Tensor, who: str) -> None:
    if cosine.numel() and cosine.detach().abs().max().item() > 1.0 + COSINE_TOLERANCE:
        raise ValueError(f'{who} expects cosine logits in [-1, 1] (a cosine classifier: '
                         f"mmpretrain head type='CosineClsHead', mmseg decode head "
                         f"type='CosineDecodeHead'), got values up to "
                         f'{cosine.detach().abs().max().item():.3g}')


def ldam_loss(cosine: Tensor,
              target: Tensor,
              margins: Tensor,
              scale: float = 30.0,
              class_weight: Optional[Tensor] = None,
              ignore_index: Optional[int] = None) -> Tensor:
    """LDAM loss: ``CE(s * (cos - m_y e_y), weight)`` on cosine logits.

    Args:
        cosine: ``(N, C)`` or ``(N, C, H, W)`` cosine logits in ``[-1, 1]``.
        target: ``(N,)`` / ``(N, H, W)`` class indices or ``(N, C)`` soft targets.
        margins: ``(C,)`` margins (:func:`ldam_margins`).
        scale: ``s``. Defaults to 30.
        class_weight: ``(C,)`` DRW weights or None.
        ignore_index: ignored label (segmentation), or None.

    Returns:
        Tensor: scalar loss, the weighted mean over valid entries.

    Raises:
        ValueError: If the logits are not cosines.
    """
    _check_cosine(cosine, 'LDAM')
    return margin_cross_entropy(cosine, target, margins, scale, class_weight, ignore_index)


def gcl_loss(cosine: Tensor,
             target: Tensor,
             noise_scale: Tensor,
             noise: Tensor,
             margin: float = 0.0,
             scale: float = 30.0,
             noise_mul: float = 0.5,
             class_weight: Optional[Tensor] = None,
             focal_gamma: Optional[float] = None,
             ignore_index: Optional[int] = None) -> Tensor:
    """GCL loss: ``CE(s * (cos - noise_mul * noise * scale_c - m e_y))``.

    Args:
        cosine: ``(N, C)`` cosine logits in ``[-1, 1]``.
        target: ``(N,)`` class indices or ``(N, C)`` soft targets.
        noise_scale: ``(C,)`` :func:`gcl_noise_scale`.
        noise: ``|clamp(N(0, 1/3))|`` draws of the logits' shape (:func:`sample_gcl_noise`).
        margin: ``m`` on the target column (stage 1: 0, stage 2: 0.1).
        scale: ``s`` (stage 1: 30, stage 2: 20).
        noise_mul: the cloud's size. Defaults to 0.5.
        class_weight: ``(C,)`` weights or None.
        focal_gamma: None for the weighted mean CE (stage 1), ``gamma`` for the reference's
            focal form (stage 2: 1).
        ignore_index: ignored label, or None.

    Returns:
        Tensor: scalar loss.
    """
    _check_cosine(cosine, 'GCL')
    if noise.shape != cosine.shape:
        raise ValueError(f'noise must have the logits\' shape {tuple(cosine.shape)}, got '
                         f'{tuple(noise.shape)}')
    num_classes = cosine.shape[1]
    view = (1, num_classes) + (1, ) * (cosine.dim() - 2)
    cloud = noise.float() * noise_scale.to(device=noise.device, dtype=torch.float32).view(view)
    clouded = cosine.float() - noise_mul * cloud
    margins = torch.full((num_classes, ), float(margin), device=cosine.device)
    return margin_cross_entropy(clouded, target, margins, scale, class_weight, ignore_index,
                                focal_gamma)
