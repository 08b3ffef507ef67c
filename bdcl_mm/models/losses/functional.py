"""Pure-torch maths of BDCL, from "Balanced and Discriminative Contrastive Learning for
Class-Imbalanced Medical Images", IEEE International Conference on Acoustics, Speech and Signal
Processing (ICASSP) 2024.

Notation: ``z_i`` the L2-normalised embedding of anchor ``i``, ``y_i`` its class, ``A(i)`` all
other items of the batch, ``P(i)`` those with label ``y_i``, ``s_ij = z_i . z_j``, ``z*_k`` the
hard-example prototype of class ``k`` and ``tau_c`` the temperature of class ``c``. The BDCL loss of
anchor ``i`` (every term uses the anchor's class temperature ``t = tau_{y_i}``) is::

    L(i) = -1/|P+(i)| sum_{p in P+(i)} log( exp(z_i.z_p / t) /
            ( sum_{a in A(i)} exp(s_ia / t) + sum_{k valid} exp(z_i.z*_k / t) ) )

with ``P+(i) = P(i) + {z*_{y_i}}`` when the own-class prototype is valid. Without prototypes this
is the supervised contrastive loss (SupCon, Khosla et al. 2020) with per-class temperatures. It is
evaluated in the equivalent form ``L(i) = logZ(i) - mean_{p in P+(i)} s_ip / t`` where ``logZ`` is
the log of the denominator (a log-sum-exp) and the positive mean comes from per-class feature sums,
so the only quadratic object is the anchor-by-item similarity matrix, which ``chunk_size`` streams.

Nothing here imports a host package (mmengine, mmseg, mmpretrain).
"""
import math
from typing import NamedTuple, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

from .statistics import BDCLStatistics

#: Temperature rules. 'balance' is a controller on log tau; the others are gradient steps.
TDL_RULES = ('balance', 'paper', 'descent', 'ascent', 'none')
#: Rules whose step is a per-anchor temperature gradient (:func:`tdl_anchor_gradient`).
GRADIENT_RULES = ('paper', 'descent', 'ascent')


class BDCLTerms(NamedTuple):
    """Everything one evaluation of the BDCL loss produces.

    Attributes:
        loss (Tensor): ``()`` mean of ``anchor_loss`` (a graph-connected zero when no anchor is
            valid). Terms are float32, or float64 for float64 features.
        anchor_index (Tensor): ``(M,)`` int64 indices (into the N items) of the valid anchors,
            i.e. the items with at least one positive.
        anchor_loss (Tensor): ``(M,)`` per-anchor loss ``L(i)``.
        anchor_temperature (Tensor): ``(M,)`` ``tau_{y_i}`` of each valid anchor.
        mean_pos_sim (Tensor): ``(M,)`` detached mean similarity to the positives
            ``mean_{p in P+(i)} z_i.z_p``.
        expected_sim (Tensor | None): ``(M,)`` detached ``sum_a softmax_a(s_ia / t) s_ia`` over
            the whole denominator set, or None when not requested.
        features (Tensor): ``(N, D)`` detached L2-normalised features.
        class_count (Tensor): ``(C,)`` int64 number of items per class.
        mean_neg_sim (Tensor): ``(M,)`` detached mean similarity to the negatives ``N(i)``
            (denominator items of other classes and valid prototypes of other classes); 0 for
            anchors without a negative.
        has_negative (Tensor): ``(M,)`` bool, anchors with at least one negative.
    """

    loss: Tensor
    anchor_index: Tensor
    anchor_loss: Tensor
    anchor_temperature: Tensor
    mean_pos_sim: Tensor
    expected_sim: Optional[Tensor]
    features: Tensor
    class_count: Tensor
    mean_neg_sim: Tensor
    has_negative: Tensor


def _check_inputs(features: Tensor, labels: Tensor, temperatures: Tensor,
                  prototypes: Optional[Tensor], prototype_mask: Optional[Tensor],
                  chunk_size: Optional[int], groups: Optional[Tensor]) -> None:
    if features.dim() != 2:
        raise ValueError(f'features must have shape (N, D), got {tuple(features.shape)}')
    if labels.dim() != 1 or labels.shape[0] != features.shape[0]:
        raise ValueError(f'labels must have shape (N,) = ({features.shape[0]},) to match the '
                         f'features, got {tuple(labels.shape)}')
    if labels.dtype.is_floating_point or labels.dtype == torch.bool:
        raise ValueError(f'labels must be an integer tensor, got {labels.dtype}')
    if temperatures.dim() != 1 or temperatures.numel() == 0:
        raise ValueError('temperatures must have shape (C,) with one value per class, got '
                         f'{tuple(temperatures.shape)}')
    num_classes = temperatures.shape[0]
    if labels.numel() and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f'labels must lie in [0, C) with C = {num_classes} classes (the length '
                         f'of temperatures), got values in [{int(labels.min())}, '
                         f'{int(labels.max())}]; remove ignored items first')
    if prototypes is not None and tuple(prototypes.shape) != (num_classes, features.shape[1]):
        raise ValueError(f'prototypes must have shape (C, D) = ({num_classes}, '
                         f'{features.shape[1]}), got {tuple(prototypes.shape)}')
    if prototype_mask is not None and tuple(prototype_mask.shape) != (num_classes, ):
        raise ValueError(f'prototype_mask must have shape (C,) = ({num_classes},), got '
                         f'{tuple(prototype_mask.shape)}')
    if chunk_size is not None and (isinstance(chunk_size, bool) or not isinstance(chunk_size, int)
                                   or chunk_size < 1):
        raise ValueError(f'chunk_size must be None or a positive int, got {chunk_size!r}')
    if groups is not None and (groups.shape != labels.shape or groups.dtype.is_floating_point
                               or groups.dtype == torch.bool):
        raise ValueError(f'groups must be an integer tensor of shape (N,) = '
                         f'({labels.shape[0]},) like labels, got {groups.dtype} '
                         f'{tuple(groups.shape)}')


def _chunk_logits(sim: Tensor,
                  rows: Tensor,
                  temperature: Tensor,
                  proto_sim: Optional[Tensor],
                  proto_mask: Optional[Tensor],
                  groups: Optional[Tensor] = None) -> Tuple[Tensor, Optional[Tensor]]:
    """Scale one chunk's similarities by the anchor temperatures; -inf on self, on items of
    other groups and on masked prototypes.

    Args:
        sim (Tensor): ``(n, N)`` anchor-to-item similarities.
        rows (Tensor): ``(n,)`` item index of each anchor (its own column is excluded).
        temperature (Tensor): ``(n,)`` anchor temperatures.
        proto_sim (Tensor | None): ``(n, C)`` anchor-to-prototype similarities.
        proto_mask (Tensor | None): ``(C,)`` bool, valid prototypes.
        groups (Tensor | None): ``(N,)`` int64 group of every item; an anchor sees only the
            items of its own group.
    """
    logits = sim / temperature[:, None]
    logits[torch.arange(rows.numel(), device=rows.device), rows] = float('-inf')
    if groups is not None:
        logits.masked_fill_(groups[rows][:, None] != groups[None, :], float('-inf'))
    if proto_sim is None:
        return logits, None
    proto_logits = (proto_sim / temperature[:, None]).masked_fill(~proto_mask[None, :],
                                                                  float('-inf'))
    return logits, proto_logits


def _log_partition(logits: Tensor, proto_logits: Optional[Tensor]) -> Tensor:
    """``(n,)`` log of the BDCL denominator of each anchor row."""
    lse = torch.logsumexp(logits, dim=1)
    if proto_logits is None:
        return lse
    return torch.logaddexp(lse, torch.logsumexp(proto_logits, dim=1))


def _expected_similarity(logits: Tensor, sim: Tensor, proto_logits: Optional[Tensor],
                         proto_sim: Optional[Tensor], log_z: Tensor) -> Tensor:
    """``(n,)`` ``sum_a softmax_a s_a`` over the denominator set (items and valid prototypes)."""
    expected = (torch.exp(logits - log_z[:, None]) * sim).sum(dim=1)
    if proto_logits is not None:
        expected = expected + (torch.exp(proto_logits - log_z[:, None]) * proto_sim).sum(dim=1)
    return expected


class _ChunkedLogPartition(torch.autograd.Function):
    """Streaming ``logZ`` over anchor chunks with memory linear in N.

    Forward keeps only ``(M,)`` per-anchor results; backward recomputes each chunk's similarities
    and applies ``d logZ_i / d s_ij = q_ij / t_i`` (``q`` the softmax over the denominator set) and
    ``d logZ_i / d t_i = -sum_a q_ia s_ia / t_i^2``.
    """

    @staticmethod
    def forward(ctx, z: Tensor, temperature: Tensor, anchor_index: Tensor,
                prototypes: Optional[Tensor], proto_mask: Optional[Tensor], chunk_size: int,
                want_expected: bool, groups: Optional[Tensor]) -> Tuple[Tensor, Tensor]:
        need_expected = want_expected or ctx.needs_input_grad[1]
        num_anchors = anchor_index.numel()
        log_z = z.new_empty(num_anchors)
        expected = z.new_zeros(num_anchors if need_expected else 0)
        for start in range(0, num_anchors, chunk_size):
            stop = start + chunk_size
            rows = anchor_index[start:stop]
            z_a = z[rows]
            sim = z_a @ z.t()
            proto_sim = None if prototypes is None else z_a @ prototypes.t()
            logits, proto_logits = _chunk_logits(sim, rows, temperature[start:stop], proto_sim,
                                                 proto_mask, groups)
            log_z[start:stop] = _log_partition(logits, proto_logits)
            if need_expected:
                expected[start:stop] = _expected_similarity(logits, sim, proto_logits, proto_sim,
                                                            log_z[start:stop])
        ctx.chunk_size = chunk_size
        ctx.has_prototypes = prototypes is not None
        ctx.has_groups = groups is not None
        ctx.save_for_backward(z, temperature, anchor_index, log_z, expected,
                              *((groups, ) if groups is not None else ()),
                              *((prototypes, proto_mask) if prototypes is not None else ()))
        ctx.mark_non_differentiable(expected)
        return log_z, expected

    @staticmethod
    def backward(ctx, grad_log_z: Tensor, grad_expected: Tensor):
        z, temperature, anchor_index, log_z, expected, *rest = ctx.saved_tensors
        groups = rest.pop(0) if ctx.has_groups else None
        prototypes, proto_mask = rest if ctx.has_prototypes else (None, None)
        grad_z = grad_temperature = None
        with torch.autocast(device_type=z.device.type, enabled=False):
            if ctx.needs_input_grad[0]:
                grad_z = torch.zeros_like(z)
                scale = grad_log_z / temperature
                for start in range(0, anchor_index.numel(), ctx.chunk_size):
                    chunk = slice(start, start + ctx.chunk_size)
                    rows = anchor_index[chunk]
                    z_a = z[rows]
                    proto_sim = None if prototypes is None else z_a @ prototypes.t()
                    logits, proto_logits = _chunk_logits(z_a @ z.t(), rows, temperature[chunk],
                                                         proto_sim, proto_mask, groups)
                    # d logZ_i / d s_ij = q_ij / t_i, formed in place in the recomputed logits.
                    log_z_c, scale_c = log_z[chunk, None], scale[chunk, None]
                    weight = logits.sub_(log_z_c).exp_().mul_(scale_c)
                    grad_rows = weight @ z
                    if prototypes is not None:
                        grad_rows += proto_logits.sub_(log_z_c).exp_().mul_(scale_c) @ prototypes
                    grad_z.index_add_(0, rows, grad_rows)
                    grad_z.addmm_(weight.t(), z_a)
            if ctx.needs_input_grad[1]:
                grad_temperature = -grad_log_z * expected / temperature**2
        return grad_z, grad_temperature, None, None, None, None, None, None


class GroupClassCells(NamedTuple):
    """Items binned by (group, class): ``cell = group * C + label``.

    Attributes:
        group (Tensor): ``(N,)`` int64 dense group index of each item (0 with no groups).
        num_groups (int): number of groups (at least 1).
        cell (Tensor): ``(N,)`` int64 cell of each item.
        count (Tensor): ``(num_groups * C,)`` items per cell.
        feature_sum (Tensor): ``(num_groups * C, D)`` sum of each cell's features.
    """
    group: Tensor
    num_groups: int
    cell: Tensor
    count: Tensor
    feature_sum: Tensor


def group_class_cells(z: Tensor, labels: Tensor, groups: Optional[Tensor],
                      num_classes: int) -> GroupClassCells:
    """Bin ``(N, D)`` features ``z`` by (group, class), so every positive-pair sum is
    ``O(N D)``: the positives of item ``i`` sum to ``feature_sum[cell_i] - z_i``.

    Args:
        z (Tensor): ``(N, D)`` features.
        labels (Tensor): ``(N,)`` int64 classes in ``[0, C)``.
        groups (Tensor | None): ``(N,)`` integer group of each item; None: one group.
        num_classes (int): ``C``.
    """
    if groups is None:
        group, num_groups = torch.zeros_like(labels), 1
    else:
        ids, group = torch.unique(groups.to(labels.device), return_inverse=True)
        num_groups = max(1, ids.numel())
    cell = group * num_classes + labels
    count = torch.bincount(cell, minlength=num_groups * num_classes)
    feature_sum = z.new_zeros(num_groups * num_classes, z.shape[1]).index_add(0, cell, z)
    return GroupClassCells(group, num_groups, cell, count, feature_sum)


def bdcl_loss_terms(features: Tensor,
                    labels: Tensor,
                    temperatures: Tensor,
                    prototypes: Optional[Tensor] = None,
                    prototype_mask: Optional[Tensor] = None,
                    chunk_size: Optional[int] = None,
                    expected_similarity: bool = False,
                    groups: Optional[Tensor] = None) -> BDCLTerms:
    """Evaluate the BDCL loss and the per-anchor quantities its updates need.

    Args:
        features (Tensor): ``(N, D)`` embeddings of any float dtype (normalised here).
        labels (Tensor): ``(N,)`` int64 classes in ``[0, C)``.
        temperatures (Tensor): ``(C,)`` per-class temperatures; an anchor uses its class's value.
        prototypes (Tensor | None): ``(C, D)`` unit-norm hard-example prototypes, used as
            constants (detached). None gives SupCon with per-class temperatures.
        prototype_mask (Tensor | None): ``(C,)`` bool, which prototypes are valid (all if None).
        chunk_size (int | None): process this many anchors at a time with a streaming
            log-sum-exp and a recomputing backward, so memory is ``O(chunk_size * N)``. None
            builds the full ``(N, N)`` matrix under plain autograd. Same value either way.
        expected_similarity (bool): also return ``sum_a softmax_a(s_ia / t) s_ia`` per anchor
            (needed by the 'descent'/'ascent' temperature rules).
        groups (Tensor | None): ``(N,)`` integer group of each item (e.g. the image it comes
            from). An anchor's positives ``P(i)`` and denominator items ``A(i)`` are then the
            items of its own group; the prototypes are shared by all groups. None: one group.

    Returns:
        BDCLTerms: the loss and per-anchor terms, computed in float32 whatever the input dtype
        (float16/bfloat16/AMP included; float64 inputs stay in float64).
    """
    _check_inputs(features, labels, temperatures, prototypes, prototype_mask, chunk_size, groups)
    num_classes = temperatures.shape[0]
    dtype = torch.float64 if features.dtype == torch.float64 else torch.float32
    with torch.autocast(device_type=features.device.type, enabled=False):
        z = F.normalize(features.to(dtype), dim=1)
        labels = labels.long()
        tau = temperatures.to(dtype)
        class_count = torch.bincount(labels, minlength=num_classes)
        group, num_groups, cell, cell_count, cell_sum = group_class_cells(
            z, labels, groups, num_classes)
        group_count = cell_count.view(num_groups, num_classes).sum(dim=1)
        group_sum = cell_sum.view(num_groups, num_classes, -1).sum(dim=1)
        own_valid = torch.zeros_like(labels, dtype=torch.bool)
        protos = proto_mask = None
        if prototypes is not None:
            protos = prototypes.detach().to(dtype)
            proto_mask = (
                torch.ones(num_classes, dtype=torch.bool, device=z.device)
                if prototype_mask is None else prototype_mask.to(z.device, torch.bool))
            own_valid = proto_mask[labels]
        pos_count = cell_count[cell] - 1 + own_valid.long()
        anchor_index = torch.nonzero(pos_count > 0).squeeze(1)
        detached = z.detach()
        if anchor_index.numel() == 0:
            empty = z.new_zeros(0)
            return BDCLTerms(
                features.to(dtype).sum() * 0, anchor_index, empty, empty, empty,
                empty if expected_similarity else None, detached, class_count, empty,
                anchor_index.bool())

        z_a = z[anchor_index]
        y_a = labels[anchor_index]
        t_a = tau[y_a]
        pos_sim_sum = (z_a * (cell_sum[cell[anchor_index]] - z_a)).sum(dim=1)
        if protos is not None:
            pos_sim_sum = pos_sim_sum + own_valid[anchor_index] * (z_a * protos[y_a]).sum(dim=1)
        mean_pos_sim = pos_sim_sum / pos_count[anchor_index]
        with torch.no_grad():
            # negatives: the group's items of other classes, valid prototypes of other classes
            g_a, c_a = group[anchor_index], cell[anchor_index]
            neg_sum = group_sum[g_a] - cell_sum[c_a]
            neg_count = group_count[g_a] - cell_count[c_a]
            if protos is not None:
                valid_protos = protos * proto_mask[:, None].to(dtype)
                neg_sum = neg_sum + valid_protos.sum(dim=0) - valid_protos[y_a]
                neg_count = neg_count + proto_mask.sum() - own_valid[anchor_index].long()
            has_negative = neg_count > 0
            mean_neg_sim = (z_a * neg_sum).sum(dim=1) / neg_count.clamp(min=1)

        if chunk_size is None:
            sim = z_a @ z.t()
            proto_sim = None if protos is None else z_a @ protos.t()
            logits, proto_logits = _chunk_logits(sim, anchor_index, t_a, proto_sim, proto_mask,
                                                 None if groups is None else group)
            log_z = _log_partition(logits, proto_logits)
            expected = None
            with torch.no_grad():
                if expected_similarity:
                    expected = _expected_similarity(logits, sim, proto_logits, proto_sim, log_z)
        else:
            log_z, expected = _ChunkedLogPartition.apply(z, t_a, anchor_index, protos,
                                                         proto_mask, chunk_size,
                                                         expected_similarity,
                                                         None if groups is None else group)
            expected = expected if expected_similarity else None
        anchor_loss = log_z - mean_pos_sim / t_a
        return BDCLTerms(anchor_loss.mean(), anchor_index, anchor_loss, t_a.detach(),
                         mean_pos_sim.detach(), expected, detached, class_count, mean_neg_sim,
                         has_negative)


def bdcl_loss(features: Tensor,
              labels: Tensor,
              temperatures: Tensor,
              prototypes: Optional[Tensor] = None,
              prototype_mask: Optional[Tensor] = None,
              chunk_size: Optional[int] = None,
              groups: Optional[Tensor] = None) -> Tensor:
    """BDCL loss (mean over valid anchors) with per-class temperatures and HEP prototypes.

    ``L(i) = -1/|P+(i)| sum_{p in P+(i)} log(exp(z_i.z_p/t) / (sum_{a in A(i)} exp(s_ia/t) +
    sum_{k valid} exp(z_i.z*_k/t)))`` with ``t = tau_{y_i}`` and ``P+(i)`` the in-batch positives
    plus the own-class prototype when valid (BDCL, ICASSP 2024). With ``prototypes=None`` and equal
    temperatures this is SupCon (Khosla et al., NeurIPS 2020) without its ``tau/base_tau`` factor.
    Anchors with no positive are dropped; if none is left the result is ``features.sum() * 0``.

    Args:
        features (Tensor): ``(N, D)`` embeddings, any float dtype; L2-normalised here.
        labels (Tensor): ``(N,)`` int64 classes in ``[0, C)`` (remove ignored items first).
        temperatures (Tensor): ``(C,)`` per-class temperatures.
        prototypes (Tensor | None): ``(C, D)`` unit-norm prototypes (no gradient flows to them).
        prototype_mask (Tensor | None): ``(C,)`` bool, valid prototypes (all if None).
        chunk_size (int | None): anchors per chunk for memory linear in N (see
            :func:`bdcl_loss_terms`).
        groups (Tensor | None): ``(N,)`` integer group per item; anchors contrast only within
            their group (see :func:`bdcl_loss_terms`).

    Returns:
        Tensor: ``()`` float32 loss (float64 for float64 features).
    """
    return bdcl_loss_terms(features, labels, temperatures, prototypes, prototype_mask,
                           chunk_size, groups=groups).loss


def tdl_anchor_gradient(rule: str, mean_pos_sim: Tensor, expected_sim: Optional[Tensor],
                        temperature: Tensor) -> Tensor:
    """Per-anchor gradient ``g_i`` of the loss w.r.t. its class temperature, by TDL rule.

    * ``'paper'`` (the gradient stated in the BDCL paper):
      ``g_i = 1/|P+(i)| sum_{p} (1 - z_i.z_p) / t^2 = (1 - mean_pos_sim) / t^2``.
    * ``'descent'`` / ``'ascent'`` (exact derivative of ``L(i)``; ``L = logZ - mean_p s_ip / t``):
      ``dL(i)/dt = (mean_p s_ip - sum_a softmax_a(s_ia/t) s_ia) / t^2``.

    Args:
        rule (str): one of ``'paper'``, ``'descent'``, ``'ascent'``.
        mean_pos_sim (Tensor): ``(M,)`` mean positive similarity of each anchor.
        expected_sim (Tensor | None): ``(M,)`` softmax-weighted denominator similarity
            (required by 'descent'/'ascent').
        temperature (Tensor): ``(M,)`` anchor temperatures.

    Returns:
        Tensor: ``(M,)`` gradients.
    """
    if rule == 'paper':
        return (1.0 - mean_pos_sim) / temperature**2
    if rule in ('descent', 'ascent'):
        if expected_sim is None:
            raise ValueError(f"TDL rule '{rule}' needs expected_sim")
        return (mean_pos_sim - expected_sim) / temperature**2
    raise ValueError(f"no temperature gradient for TDL rule '{rule}'; "
                     f"expected one of {GRADIENT_RULES}")


def bdcl_statistics(terms: BDCLTerms, labels: Tensor, preds: Optional[Tensor], num_classes: int,
                    tdl: str, use_prototypes: bool) -> BDCLStatistics:
    """Per-class sums of one forward for the TDL and HEP updates.

    Only the fields the configuration uses are filled; the others stay zero (see
    :class:`~bdcl_mm.models.losses.statistics.BDCLStatistics`).

    Args:
        terms (BDCLTerms): output of :func:`bdcl_loss_terms` (with ``expected_similarity`` for
            'descent'/'ascent').
        labels (Tensor): ``(N,)`` int64 labels of the same items.
        preds (Tensor | None): ``(N,)`` predicted classes; None means no hard example.
        num_classes (int): C.
        tdl (str): TDL rule.
        use_prototypes (bool): whether HEP statistics are needed.

    Returns:
        BDCLStatistics: the sums, float32 on the features' device.
    """
    z = terms.features.float()
    labels = labels.long()
    stats = BDCLStatistics.zeros(num_classes, z.shape[1], z.device)
    y_a = labels[terms.anchor_index]
    stats.anchor_count = torch.bincount(y_a, minlength=num_classes).float()
    if tdl in GRADIENT_RULES:
        grad = tdl_anchor_gradient(tdl, terms.mean_pos_sim, terms.expected_sim,
                                   terms.anchor_temperature).float()
        stats.tdl_grad_sum = stats.tdl_grad_sum.index_add(0, y_a, grad)
    elif tdl == 'balance':
        with_negative = terms.has_negative
        margin = (terms.mean_pos_sim - terms.mean_neg_sim).float()[with_negative]
        stats.margin_sum = stats.margin_sum.index_add(0, y_a[with_negative], margin)
        stats.margin_count = torch.bincount(y_a[with_negative], minlength=num_classes).float()
    if use_prototypes:
        stats.feat_sum = stats.feat_sum.index_add(0, labels, z)
        stats.feat_count = terms.class_count.float()
        hard = (
            torch.zeros_like(labels, dtype=torch.bool)
            if preds is None else preds.to(labels.device).long() != labels)
        stats.hard_sum = stats.hard_sum.index_add(0, labels[hard], z[hard])
        stats.hard_count = torch.bincount(labels[hard], minlength=num_classes).float()
    return stats


def balance_error(margin_sum: Tensor, margin_count: Tensor, temperatures: Tensor,
                  min_margin: float = 1e-3) -> Tensor:
    """``(C,)`` log of each class's logit gap, minus its mean over the classes present.

    The logit gap of class c is ``m_c = margin_c / tau_c`` with ``margin_c`` the mean over the
    class's anchors of ``mean_{p in P+(i)} s_ip - mean_{n in N(i)} s_in`` (floored at
    ``min_margin``): the softmax of an anchor weighs a typical negative ``exp(-m_c)`` times a
    typical positive, the relative penalty of a negative that BDCL's per-class temperatures
    balance. ``e_c = log m_c - mean_k log m_k``; zero for classes without anchors that have a
    negative.

    Args:
        margin_sum (Tensor): ``(C,)`` summed per-anchor margins.
        margin_count (Tensor): ``(C,)`` anchors summed (any positive weight: the running
            sums of :func:`running_margin_update` are fractional).
        temperatures (Tensor): ``(C,)`` current temperatures.
        min_margin (float): floor of the margin (a class not separated yet counts as this).
    """
    margin_count = margin_count.float()
    present = margin_count > 0
    tiny = torch.finfo(torch.float32).tiny
    margin = (margin_sum.float() / margin_count.clamp(min=tiny)).clamp(min=min_margin)
    log_gap = margin.log() - temperatures.float().log()
    if not bool(present.any()):
        return torch.zeros_like(log_gap)
    centre = log_gap[present].mean()
    return torch.where(present, log_gap - centre, torch.zeros_like(log_gap))


def running_margin_update(running_sum: Tensor, running_count: Tensor, margin_sum: Tensor,
                          margin_count: Tensor, momentum: float) -> Tuple[Tensor, Tensor]:
    """Exponential moving sums of the per-class margins that the 'balance' rule reads.

    ``S_c <- (1 - m) S_c + m margin_sum_c`` and ``n_c <- (1 - m) n_c + m margin_count_c``
    (``m = momentum``). The estimate ``S_c / n_c`` is the anchor-weighted mean margin of the
    recent batches, each batch weighted by ``(1 - m)^age`` times its anchor count, so a batch
    with few anchors of a class moves that class's estimate little, a batch without any leaves
    it as it was, and starting from zeros gives no bias (the first estimate is the first batch's
    mean). ``m = 1`` uses each batch's own margins. Sums that are not finite change nothing.

    Args:
        running_sum (Tensor): ``(C,)`` current ``S``.
        running_count (Tensor): ``(C,)`` current ``n``.
        margin_sum (Tensor): ``(C,)`` this update's summed per-anchor margins.
        margin_count (Tensor): ``(C,)`` this update's anchors.
        momentum (float): ``m`` in (0, 1], the weight of the new statistics.

    Returns:
        tuple[Tensor, Tensor]: the new ``(C,)`` float32 ``S`` and ``n``.
    """
    running_sum, running_count = running_sum.float(), running_count.float()
    margin_sum = margin_sum.to(running_sum.device).float()
    margin_count = margin_count.to(running_sum.device).float()
    if not bool(torch.isfinite(margin_sum).all() and torch.isfinite(margin_count).all()):
        return running_sum, running_count
    keep = 1.0 - momentum
    return keep * running_sum + momentum * margin_sum, keep * running_count + momentum * margin_count


def tdl_update(temperatures: Tensor,
               stats: BDCLStatistics,
               rule: str,
               lr: float,
               tau_min: float,
               tau_max: float,
               tau_centre: float = 0.1,
               max_error: float = 2.0) -> Tensor:
    """One TDL step, then clamp to ``[tau_min, tau_max]``. Classes without anchors in the sums
    keep their temperature; sums that are not finite (``stats.is_finite()``) change nothing.

    * ``'balance'``, a controller on ``log tau``: with ``e_c`` from :func:`balance_error`
      (clipped to ``+-max_error``), ``log tau_c <- log tau_c + lr * e_c`` for the classes
      present, then every ``log tau`` is shifted so that the geometric mean of the
      temperatures is ``tau_centre``. Where it settles: where the logit gaps
      ``margin_c / tau_c`` are equal across classes, i.e. ``tau_c`` proportional to the
      class's margin, with geometric mean ``tau_centre``: poorly separated classes end
      colder, and every class's softmax weighs a typical negative against a typical positive
      alike. With the mean shift, each step shrinks the distance (in ``log tau``) to that
      point by exactly the factor ``1 - lr`` for fixed margins: a perturbed temperature
      returns, and the time constant is ``1 / lr`` updates whatever the schedule length.
      ``stats.margin_sum / stats.margin_count`` is the margin estimate; ``BDCLLoss`` passes
      its running sums (:func:`running_margin_update`), so batch-to-batch sampling noise of
      the margins does not move the temperatures.
    * ``'paper'`` (descent on the stated gradient ``g_c >= 0``): ``tau_c <- tau_c - lr g_c``.
      ``g_c`` is never negative, so the only fixed point is ``tau_min``.
    * ``'descent'``: ``tau_c <- tau_c - lr g_c`` with the exact ``dL/dtau_c``. On fixed
      features it settles where the loss is flat in ``tau_c``; as a class separates, that point
      moves towards ``tau_min``.
    * ``'ascent'``: ``tau_c <- tau_c + lr g_c``. The loss is convex in ``1/tau``, so ascent has
      no interior fixed point and runs to a clamp.
    * ``'none'``: unchanged.

    ``g_c = tdl_grad_sum_c / anchor_count_c`` is the mean over class c's anchors, so head
    classes do not dominate.

    Args:
        temperatures (Tensor): ``(C,)`` current temperatures.
        stats (BDCLStatistics): summed statistics (``anchor_count`` and the rule's fields).
        rule (str): TDL rule.
        lr (float): step size (in ``tau`` for the gradient rules; for 'balance' the fraction
            of the distance to equilibrium, in ``log tau``, closed per update).
        tau_min (float): lower clamp.
        tau_max (float): upper clamp.
        tau_centre (float): geometric mean of the temperatures under 'balance'.
        max_error (float): clip of the 'balance' error, so one batch moves ``log tau`` by at
            most ``lr * max_error`` (before the geometric-mean shift).

    Returns:
        Tensor: ``(C,)`` new float32 temperatures.
    """
    if rule not in TDL_RULES:
        raise ValueError(f"tdl must be one of {TDL_RULES}, got '{rule}'")
    temperatures = temperatures.float()
    if not stats.is_finite():
        return temperatures
    count = stats.anchor_count.to(temperatures.device).float()
    if rule in GRADIENT_RULES:
        sign = 1.0 if rule == 'ascent' else -1.0
        mean_grad = stats.tdl_grad_sum.to(temperatures.device).float() / count.clamp(min=1.0)
        step = torch.where(count > 0, sign * lr * mean_grad, torch.zeros_like(mean_grad))
        temperatures = temperatures + step
    elif rule == 'balance':
        margin_count = stats.margin_count.to(temperatures.device).float()
        margin_sum = stats.margin_sum.to(temperatures.device).float()
        if not bool((margin_count > 0).any()):
            return temperatures.clamp(tau_min, tau_max)
        error = balance_error(margin_sum, margin_count, temperatures).clamp(-max_error, max_error)
        log_tau = temperatures.log() + lr * error
        log_tau = log_tau - (log_tau.mean() - math.log(tau_centre))
        temperatures = log_tau.exp()
    return temperatures.clamp(tau_min, tau_max)


def hep_update(prototypes: Tensor, valid: Tensor, hard_sum: Tensor, hard_count: Tensor,
               feat_sum: Tensor, feat_count: Tensor, momentum: float) -> Tuple[Tensor, Tensor]:
    """Hard-example prototype (HEP) update.

    A class that has no valid prototype yet and appears (``feat_count > 0``) is initialised to
    ``normalize(mean of all its features)`` and marked valid. Every other valid class with hard
    examples moves by ``z*_c <- normalize((1 - m) z*_c + m mean(hard features of c))``; classes
    without hard examples keep their prototype. A zero-norm result leaves the prototype as it
    was, and sums that are not all finite change nothing.

    Args:
        prototypes (Tensor): ``(C, D)`` current prototypes.
        valid (Tensor): ``(C,)`` bool, prototypes already set.
        hard_sum (Tensor): ``(C, D)`` sums of normalised hard features.
        hard_count (Tensor): ``(C,)`` their counts.
        feat_sum (Tensor): ``(C, D)`` sums of all normalised features.
        feat_count (Tensor): ``(C,)`` their counts.
        momentum (float): ``m``, the weight of the new batch.

    Returns:
        tuple[Tensor, Tensor]: new ``(C, D)`` prototypes and ``(C,)`` validity.
    """
    prototypes = prototypes.float()
    valid = valid.bool()
    if not all(bool(torch.isfinite(t).all()) for t in (hard_sum, hard_count, feat_sum, feat_count)):
        return prototypes, valid
    eps = 1e-12
    first_mean = feat_sum.float() / feat_count.float().clamp(min=1.0)[:, None]
    initialise = (~valid) & (feat_count > 0) & (first_mean.norm(dim=1) > eps)
    hard_mean = hard_sum.float() / hard_count.float().clamp(min=1.0)[:, None]
    moved = (1.0 - momentum) * prototypes + momentum * hard_mean
    move = valid & (hard_count > 0) & (moved.norm(dim=1) > eps)
    new = torch.where(move[:, None], F.normalize(moved, dim=1), prototypes)
    new = torch.where(initialise[:, None], F.normalize(first_mean, dim=1), new)
    return new, valid | initialise
