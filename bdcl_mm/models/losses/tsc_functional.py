"""Pure-torch maths of TSC, targeted supervised contrastive learning.

From "Targeted Supervised Contrastive Learning for Long-Tailed Recognition" (Li et al., CVPR
2022; reference code LTH14/targeted-supcon: ``target_generation.py``, ``moco/builder.py``).

Notation: ``z_i`` the L2-normalised embedding of item ``i``, ``y_i`` its class, ``A(i)`` all
other items (of its group), ``P(i)`` those with label ``y_i``, ``T`` the temperature, ``t_k`` the
``C`` fixed unit targets and ``sigma`` the assignment of classes to targets. In the in-batch
SupCon form used here (the reference's CIFAR variant: no MoCo queue, no momentum encoder), the
logits of anchor ``i`` are ``z_i.z_a / T`` for ``a in A(i)`` and ``z_i.t_k / T`` for every target
``k``, with ``logZ(i)`` the log-sum-exp over all of them. The assigned target ``t_{sigma(y_i)}``
is one extra positive, so with ``n_i = |P(i)| + 1`` positives::

    L_class(i)  = -1/n_i sum_{p in P(i)} (z_i.z_p / T - logZ(i))
    L_target(i) = -1/n_i (z_i.t_{sigma(y_i)} / T - logZ(i))
    L           = mean_i L_class(i) + tw * mean_i L_target(i)

as ``moco/builder.py`` (``KCL``, ``sep_t``, ``tr = 1``) normalises both terms by the number of
positives, targets counted. Every item is an anchor (each has its target as a positive).

The targets minimise the uniformity loss ``mean_i log sum_j exp(u_i.u_j / 0.07)``
(:func:`generate_targets`); the assignment maps EMA class centroids to targets with the
Hungarian method (:func:`centroid_update`, :func:`hungarian_assignment`).

Nothing here imports a host package (mmengine, mmseg, mmpretrain).
"""
import functools
from dataclasses import dataclass
from typing import NamedTuple, Optional, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from scipy.optimize import linear_sum_assignment
from torch import Tensor

from .functional import _chunk_logits, _ChunkedLogPartition, group_class_cells
from .statistics import SummedStatistics

#: Temperature of the uniformity loss the targets minimise (``target_generation.py``).
TARGET_TEMPERATURE = 0.07
#: Adam steps of the target generation (the reference runs 10,000, see :func:`generate_targets`).
DEFAULT_TARGET_STEPS = 2000
#: The generation stops early after this many steps without a relative improvement of
#: ``STALL_TOLERANCE`` in the best loss.
STALL_STEPS = 200
STALL_TOLERANCE = 1e-8


class TSCTerms(NamedTuple):
    """One evaluation of the TSC loss.

    Attributes:
        loss (Tensor): ``()`` ``mean_i L_class(i) + tw * mean_i L_target(i)`` (a graph-connected
            zero for an empty batch). float32, or float64 for float64 features.
        class_loss (Tensor): ``(N,)`` per-anchor ``L_class(i)``.
        target_loss (Tensor): ``(N,)`` per-anchor ``L_target(i)`` (before ``tw``).
        features (Tensor): ``(N, D)`` detached L2-normalised features.
    """

    loss: Tensor
    class_loss: Tensor
    target_loss: Tensor
    features: Tensor


@dataclass
class TSCStatistics(SummedStatistics):
    """Per-class sums of one or more TSC forwards (float32, on one device).

    Attributes:
        feat_sum (Tensor): ``(C, D)`` sum of the normalised features of each class.
        feat_count (Tensor): ``(C,)`` items per class.
        nonfinite (Tensor): ``()`` items whose features were not finite; non-zero marks the
            sums unusable.
    """

    feat_sum: Tensor
    feat_count: Tensor
    nonfinite: Tensor

    @classmethod
    def zeros(cls,
              num_classes: int,
              feat_dim: int,
              device: Optional[torch.device] = None) -> 'TSCStatistics':
        """Empty sums for ``C = num_classes`` classes and ``D = feat_dim`` features."""
        return cls(
            torch.zeros(num_classes, feat_dim, device=device),
            torch.zeros(num_classes, device=device), torch.zeros((), device=device))


def check_target_dims(num_classes: int, feat_dim: int) -> None:
    """Refuse ``feat_dim < num_classes - 1``: ``C`` targets are spread evenly (a regular
    simplex, pairwise cosine ``-1/(C-1)``) only in at least ``C - 1`` dimensions."""
    if feat_dim < num_classes - 1:
        raise ValueError(
            f'TSC needs an embedding size of at least num_classes - 1 = {num_classes - 1} to '
            f'place its {num_classes} class targets evenly on the sphere, got feat_dim='
            f'{feat_dim}; raise the projection output (proj_channels) to >= {num_classes - 1}')


def uniformity_loss(points: Tensor, temperature: float = TARGET_TEMPERATURE) -> Tensor:
    """``mean_i log sum_j exp(u_i.u_j / t)`` over all pairs, ``j = i`` included.

    The loss ``target_generation.py`` minimises (``uniform_loss``).

    Args:
        points (Tensor): ``(C, D)`` unit vectors ``u``.
        temperature (float): ``t``. Defaults to 0.07.

    Returns:
        Tensor: ``()`` loss, in the points' dtype.
    """
    return torch.logsumexp(points @ points.t() / temperature, dim=1).mean()


def _excess_uniformity(points: Tensor, off_diagonal: Tensor, temperature: float) -> Tensor:
    """``uniformity_loss - 1/t`` computed without cancellation (``u_i.u_i = 1``)."""
    terms = torch.exp((points @ points.t() - 1.0) / temperature) * off_diagonal
    return torch.log1p(terms.sum(dim=1)).mean()


@functools.lru_cache(maxsize=64)
def _cached_targets(num_classes: int, feat_dim: int, seed: int, steps: int, lr: float,
                    temperature: float) -> Tensor:
    generator = torch.Generator().manual_seed(seed)
    start = torch.randn(num_classes, feat_dim, generator=generator, dtype=torch.float64)
    x = F.normalize(start, dim=1)
    if num_classes == 1:
        return x
    off_diagonal = (~torch.eye(num_classes, dtype=torch.bool)).double()
    x.requires_grad_(True)
    optimizer = torch.optim.Adam([x], lr=lr)
    best, best_points, since_improved = float('inf'), x.detach().clone(), 0
    with torch.enable_grad():
        for _ in range(steps):
            points = F.normalize(x, dim=1)
            excess = _excess_uniformity(points, off_diagonal, temperature)
            value = excess.item()
            since_improved = 0 if value < best * (1.0 - STALL_TOLERANCE) else since_improved + 1
            if value < best:
                best, best_points = value, points.detach().clone()
            if since_improved >= STALL_STEPS:
                break
            optimizer.zero_grad()
            excess.log().backward()
            optimizer.step()
    return best_points


def generate_targets(num_classes: int,
                     feat_dim: int,
                     seed: int = 0,
                     steps: int = DEFAULT_TARGET_STEPS,
                     lr: float = 1e-3,
                     temperature: float = TARGET_TEMPERATURE) -> Tensor:
    """``C`` unit targets in ``D`` dimensions that minimise :func:`uniformity_loss`.

    As ``target_generation.py``: Adam (lr 1e-3) on free vectors ``x`` with ``u = x / |x|``,
    keeping the iterate of lowest loss. Differences, none of which moves the minimum:

    - the start is a seeded ``N(0, 1)`` draw normalised to the sphere (the reference starts
      from the unnormalised draw, whose norm ``~sqrt(D)`` makes each Adam step ``sqrt(D)``
      times smaller in angle);
    - the loss is evaluated in float64 as ``1/t + J`` with
      ``J = mean_i log(1 + sum_{j != i} exp((u_i.u_j - 1)/t))``; the iterate of lowest ``J`` is
      kept (in float32 the loss is ``1/t = 14.29`` plus a remainder of about ``1e-7``, below
      float32 resolution, so iterates cannot be ranked), and Adam steps on ``log J``, a monotone
      transform with the same minimiser whose gradient does not vanish under Adam's
      ``eps = 1e-8`` (the raw gradient is about ``exp(-1.5/t) ~ 1e-9`` near a three-class
      optimum, where the reference's steps stall);
    - at most ``steps`` steps, 2,000 by default (the reference runs 10,000), stopping once
      ``STALL_STEPS`` steps in a row improved the best ``J`` by less than ``STALL_TOLERANCE``
      (relative): every ``D >= C - 1`` reaches the regular simplex (pairwise cosine
      ``-1/(C-1)``) within about 900 steps.

    The result is deterministic per ``(C, D, seed, steps, lr, temperature)`` and cached in
    memory for the process (``functools.lru_cache``); a loss keeps its targets as a buffer, so a
    checkpoint carries them.

    Args:
        num_classes (int): C.
        feat_dim (int): D, at least ``C - 1``.
        seed (int): seed of the starting draw. Defaults to 0.
        steps (int): Adam steps. Defaults to ``DEFAULT_TARGET_STEPS``.
        lr (float): Adam learning rate. Defaults to 1e-3.
        temperature (float): ``t`` of the uniformity loss. Defaults to 0.07.

    Returns:
        Tensor: ``(C, D)`` float32 unit vectors (a fresh copy).

    Raises:
        ValueError: ``D < C - 1``, or a non-positive size, step count, lr or temperature.
    """
    for name, value in (('num_classes', num_classes), ('feat_dim', feat_dim), ('steps', steps)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f'{name} must be a positive int, got {value!r}')
    if not (lr > 0 and temperature > 0):
        raise ValueError(f'lr and temperature must be > 0, got lr={lr}, temperature={temperature}')
    check_target_dims(num_classes, feat_dim)
    return _cached_targets(num_classes, feat_dim, int(seed), steps, float(lr),
                           float(temperature)).float().clone()


def centroid_update(centroids: Tensor, valid: Tensor, feat_sum: Tensor, feat_count: Tensor,
                    momentum: float = 0.1) -> Tuple[Tensor, Tensor]:
    """EMA class centroids, as ``moco/builder.py``: for each class present,
    ``c <- normalize((1 - m) c + m normalize(mean of its features))`` with ``m = momentum``.

    A class not yet initialised (``valid`` False) starts at ``normalize(mean)`` the first time
    it is present (the reference starts from random unit vectors). Absent classes, zero-norm
    results and sums that are not all finite change nothing.

    Args:
        centroids (Tensor): ``(C, D)`` current centroids.
        valid (Tensor): ``(C,)`` bool, centroids already initialised.
        feat_sum (Tensor): ``(C, D)`` sums of normalised features per class.
        feat_count (Tensor): ``(C,)`` their counts.
        momentum (float): ``m``, the weight of the new batch. Defaults to 0.1.

    Returns:
        tuple[Tensor, Tensor]: float32 ``(C, D)`` centroids and ``(C,)`` bool validity.
    """
    centroids, valid = centroids.float(), valid.bool()
    feat_sum = feat_sum.to(centroids.device).float()
    feat_count = feat_count.to(centroids.device).float()
    if not bool(torch.isfinite(feat_sum).all() and torch.isfinite(feat_count).all()):
        return centroids, valid
    eps = 1e-12
    mean = feat_sum / feat_count.clamp(min=1.0)[:, None]
    present = (feat_count > 0) & (mean.norm(dim=1) > eps)
    batch = F.normalize(mean, dim=1)
    moved = (1.0 - momentum) * centroids + momentum * batch
    move = valid & present & (moved.norm(dim=1) > eps)
    new = torch.where(move[:, None], F.normalize(moved, dim=1), centroids)
    new = torch.where((~valid & present)[:, None], batch, new)
    return new, valid | present


def hungarian_assignment(centroids: Tensor, targets: Tensor) -> Tensor:
    """Target of each class: ``linear_sum_assignment(-centroids @ targets.T)``.

    Maximises the summed cosine between class centroids and their targets, one target per
    class (``moco/builder.py``).

    Args:
        centroids (Tensor): ``(C, D)`` class centroids (zero rows: classes not seen yet).
        targets (Tensor): ``(C, D)`` unit targets.

    Returns:
        Tensor: ``(C,)`` int64, ``assignment[c]`` the target index of class ``c``.
    """
    if centroids.shape != targets.shape:
        raise ValueError(f'centroids {tuple(centroids.shape)} and targets '
                         f'{tuple(targets.shape)} must both be (C, D)')
    score = (centroids.detach().double() @ targets.detach().double().t()).cpu().numpy()
    rows, cols = linear_sum_assignment(-score)
    assignment = np.empty(len(rows), dtype=np.int64)
    assignment[rows] = cols
    return torch.from_numpy(assignment).to(centroids.device)


def _check_inputs(features: Tensor, labels: Tensor, targets: Tensor, assignment: Tensor,
                  groups: Optional[Tensor], chunk_size: Optional[int]) -> None:
    if features.dim() != 2:
        raise ValueError(f'features must have shape (N, D), got {tuple(features.shape)}')
    if labels.shape != features.shape[:1] or labels.dtype.is_floating_point \
            or labels.dtype == torch.bool:
        raise ValueError(f'labels must be an integer tensor of shape (N,) = '
                         f'({features.shape[0]},), got {labels.dtype} {tuple(labels.shape)}')
    if targets.dim() != 2 or targets.shape[1] != features.shape[1]:
        raise ValueError(f'targets must have shape (C, D) with D = {features.shape[1]}, got '
                         f'{tuple(targets.shape)}')
    num_classes = targets.shape[0]
    if assignment.shape != (num_classes, ):
        raise ValueError(f'assignment must have shape (C,) = ({num_classes},), got '
                         f'{tuple(assignment.shape)}')
    if labels.numel() and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f'labels must lie in [0, C) with C = {num_classes} targets, got values '
                         f'in [{int(labels.min())}, {int(labels.max())}]; remove ignored items')
    if groups is not None and (groups.shape != labels.shape or groups.dtype.is_floating_point):
        raise ValueError(f'groups must be an integer tensor of shape (N,) like labels, got '
                         f'{groups.dtype} {tuple(groups.shape)}')
    if chunk_size is not None and (isinstance(chunk_size, bool) or not isinstance(chunk_size, int)
                                   or chunk_size < 1):
        raise ValueError(f'chunk_size must be None or a positive int, got {chunk_size!r}')


def tsc_loss_terms(features: Tensor,
                   labels: Tensor,
                   targets: Tensor,
                   assignment: Tensor,
                   temperature: float = 0.07,
                   target_weight: float = 0.2,
                   chunk_size: Optional[int] = None,
                   groups: Optional[Tensor] = None) -> TSCTerms:
    """The TSC loss (module docstring) and its per-anchor terms.

    ``L(i) = (|P(i)| logZ(i) - sum_p z_i.z_p/T)/n_i + tw (logZ(i) - z_i.t_{sigma(y_i)}/T)/n_i``
    with ``n_i = |P(i)| + 1``; the positive sums come from per-class feature sums, so only the
    anchor-by-item similarities are quadratic, and ``chunk_size`` streams them (the BDCL
    loss's chunked log-partition, :mod:`.functional`).

    Args:
        features (Tensor): ``(N, D)`` embeddings of any float dtype (normalised here).
        labels (Tensor): ``(N,)`` int64 classes in ``[0, C)`` (remove ignored items first).
        targets (Tensor): ``(C, D)`` unit targets, constants (no gradient flows into them).
        assignment (Tensor): ``(C,)`` int64 target index of each class.
        temperature (float): ``T``. Defaults to 0.07.
        target_weight (float): ``tw``. Defaults to 0.2.
        chunk_size (int | None): anchors per chunk (memory linear in N); None builds the full
            ``(N, N)`` matrix. Same value either way.
        groups (Tensor | None): ``(N,)`` integer group of each item (e.g. its image): an
            anchor's ``P(i)`` and ``A(i)`` are the items of its own group; the targets are
            shared. None: one group.

    Returns:
        TSCTerms: in float32 whatever the input dtype (float64 stays float64).
    """
    _check_inputs(features, labels, targets, assignment, groups, chunk_size)
    num_classes = targets.shape[0]
    dtype = torch.float64 if features.dtype == torch.float64 else torch.float32
    with torch.autocast(device_type=features.device.type, enabled=False):
        z = F.normalize(features.to(dtype), dim=1)
        if z.shape[0] == 0:
            empty = z.new_zeros(0)
            return TSCTerms(features.to(dtype).sum() * 0, empty, empty, z.detach())
        labels = labels.long()
        bank = F.normalize(targets.detach().to(z.device, dtype), dim=1)
        own_target = bank[assignment.to(z.device).long()[labels]]
        group, _, cell, cell_count, cell_sum = group_class_cells(z, labels, groups, num_classes)
        pos_count = (cell_count[cell] - 1).to(dtype)
        pos_sim_sum = (z * (cell_sum[cell] - z)).sum(dim=1)
        target_sim = (z * own_target).sum(dim=1)

        anchors = torch.arange(z.shape[0], device=z.device)
        tau = z.new_full((z.shape[0], ), float(temperature))
        all_targets = torch.ones(num_classes, dtype=torch.bool, device=z.device)
        item_groups = None if groups is None else group
        if chunk_size is None:
            logits, target_logits = _chunk_logits(z @ z.t(), anchors, tau, z @ bank.t(),
                                                  all_targets, item_groups)
            log_z = torch.logsumexp(torch.cat([logits, target_logits], dim=1), dim=1)
        else:
            log_z, _ = _ChunkedLogPartition.apply(z, tau, anchors, bank, all_targets, chunk_size,
                                                  False, item_groups)
        num_pos = pos_count + 1.0
        class_loss = (pos_count * log_z - pos_sim_sum / temperature) / num_pos
        target_loss = (log_z - target_sim / temperature) / num_pos
        loss = class_loss.mean() + target_weight * target_loss.mean()
        return TSCTerms(loss, class_loss, target_loss, z.detach())


def tsc_loss(features: Tensor,
             labels: Tensor,
             targets: Tensor,
             assignment: Tensor,
             temperature: float = 0.07,
             target_weight: float = 0.2,
             chunk_size: Optional[int] = None,
             groups: Optional[Tensor] = None) -> Tensor:
    """TSC loss ``mean_i L_class(i) + tw mean_i L_target(i)`` (see :func:`tsc_loss_terms`).

    Returns:
        Tensor: ``()`` float32 loss (float64 for float64 features); ``features.sum() * 0`` for
        an empty batch, so it still back-propagates.
    """
    return tsc_loss_terms(features, labels, targets, assignment, temperature, target_weight,
                          chunk_size, groups).loss


def tsc_statistics(features: Tensor, labels: Tensor, num_classes: int) -> TSCStatistics:
    """Per-class sums of normalised features for the centroid update.

    Args:
        features (Tensor): ``(N, D)`` L2-normalised features (e.g. ``TSCTerms.features``).
        labels (Tensor): ``(N,)`` int64 classes in ``[0, C)``.
        num_classes (int): C.

    Returns:
        TSCStatistics: float32 sums on the features' device.
    """
    z = features.detach().float()
    labels = labels.long().to(z.device)
    stats = TSCStatistics.zeros(num_classes, z.shape[1], z.device)
    stats.feat_sum = stats.feat_sum.index_add(0, labels, z)
    stats.feat_count = torch.bincount(labels, minlength=num_classes).float()
    return stats
