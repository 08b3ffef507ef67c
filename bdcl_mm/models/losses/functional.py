"""Pure-torch maths of BDCL (Balanced and Discriminative Contrastive Learning, ICASSP 2024).

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
from typing import Dict, NamedTuple, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

TDL_RULES = ('paper', 'descent', 'ascent', 'none')


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
    """

    loss: Tensor
    anchor_index: Tensor
    anchor_loss: Tensor
    anchor_temperature: Tensor
    mean_pos_sim: Tensor
    expected_sim: Optional[Tensor]
    features: Tensor
    class_count: Tensor


def _check_inputs(features: Tensor, labels: Tensor, temperatures: Tensor,
                  prototypes: Optional[Tensor], prototype_mask: Optional[Tensor],
                  chunk_size: Optional[int]) -> None:
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


def _chunk_logits(sim: Tensor, rows: Tensor, temperature: Tensor, proto_sim: Optional[Tensor],
                  proto_mask: Optional[Tensor]) -> Tuple[Tensor, Optional[Tensor]]:
    """Scale one chunk's similarities by the anchor temperatures; -inf on self and masked protos.

    Args:
        sim (Tensor): ``(n, N)`` anchor-to-item similarities.
        rows (Tensor): ``(n,)`` item index of each anchor (its own column is excluded).
        temperature (Tensor): ``(n,)`` anchor temperatures.
        proto_sim (Tensor | None): ``(n, C)`` anchor-to-prototype similarities.
        proto_mask (Tensor | None): ``(C,)`` bool, valid prototypes.
    """
    logits = sim / temperature[:, None]
    logits[torch.arange(rows.numel(), device=rows.device), rows] = float('-inf')
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
                want_expected: bool) -> Tuple[Tensor, Tensor]:
        need_expected = want_expected or ctx.needs_input_grad[1]
        log_z = z.new_empty(anchor_index.numel())
        expected = z.new_zeros(anchor_index.numel() if need_expected else 0)
        for start in range(0, anchor_index.numel(), chunk_size):
            stop = start + chunk_size
            rows = anchor_index[start:stop]
            z_a = z[rows]
            sim = z_a @ z.t()
            proto_sim = None if prototypes is None else z_a @ prototypes.t()
            logits, proto_logits = _chunk_logits(sim, rows, temperature[start:stop], proto_sim,
                                                 proto_mask)
            log_z[start:stop] = _log_partition(logits, proto_logits)
            if need_expected:
                expected[start:stop] = _expected_similarity(logits, sim, proto_logits, proto_sim,
                                                            log_z[start:stop])
        ctx.chunk_size = chunk_size
        ctx.has_prototypes = prototypes is not None
        ctx.save_for_backward(z, temperature, anchor_index, log_z, expected,
                              *((prototypes, proto_mask) if prototypes is not None else ()))
        ctx.mark_non_differentiable(expected)
        return log_z, expected

    @staticmethod
    def backward(ctx, grad_log_z: Tensor, grad_expected: Tensor):
        z, temperature, anchor_index, log_z, expected, *protos = ctx.saved_tensors
        prototypes, proto_mask = protos if ctx.has_prototypes else (None, None)
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
                                                         proto_sim, proto_mask)
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
        return grad_z, grad_temperature, None, None, None, None, None


def bdcl_loss_terms(features: Tensor,
                    labels: Tensor,
                    temperatures: Tensor,
                    prototypes: Optional[Tensor] = None,
                    prototype_mask: Optional[Tensor] = None,
                    chunk_size: Optional[int] = None,
                    expected_similarity: bool = False) -> BDCLTerms:
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

    Returns:
        BDCLTerms: the loss and per-anchor terms, computed in float32 whatever the input dtype
        (float16/bfloat16/AMP included; float64 inputs stay in float64).
    """
    _check_inputs(features, labels, temperatures, prototypes, prototype_mask, chunk_size)
    num_classes = temperatures.shape[0]
    dtype = torch.float64 if features.dtype == torch.float64 else torch.float32
    with torch.autocast(device_type=features.device.type, enabled=False):
        z = F.normalize(features.to(dtype), dim=1)
        labels = labels.long()
        tau = temperatures.to(dtype)
        class_count = torch.bincount(labels, minlength=num_classes)
        # Sum of each class's normalised features: gives every positive-pair mean in O(N D).
        class_sum = z.new_zeros(num_classes, z.shape[1]).index_add(0, labels, z)
        own_valid = torch.zeros_like(labels, dtype=torch.bool)
        protos = proto_mask = None
        if prototypes is not None:
            protos = prototypes.detach().to(dtype)
            proto_mask = (
                torch.ones(num_classes, dtype=torch.bool, device=z.device)
                if prototype_mask is None else prototype_mask.to(z.device, torch.bool))
            own_valid = proto_mask[labels]
        pos_count = class_count[labels] - 1 + own_valid.long()
        anchor_index = torch.nonzero(pos_count > 0).squeeze(1)
        detached = z.detach()
        if anchor_index.numel() == 0:
            empty = z.new_zeros(0)
            return BDCLTerms(
                features.to(dtype).sum() * 0, anchor_index, empty, empty, empty,
                empty if expected_similarity else None, detached, class_count)

        z_a = z[anchor_index]
        y_a = labels[anchor_index]
        t_a = tau[y_a]
        pos_sim_sum = (z_a * (class_sum[y_a] - z_a)).sum(dim=1)
        if protos is not None:
            pos_sim_sum = pos_sim_sum + own_valid[anchor_index] * (z_a * protos[y_a]).sum(dim=1)
        mean_pos_sim = pos_sim_sum / pos_count[anchor_index]

        if chunk_size is None:
            sim = z_a @ z.t()
            proto_sim = None if protos is None else z_a @ protos.t()
            logits, proto_logits = _chunk_logits(sim, anchor_index, t_a, proto_sim, proto_mask)
            log_z = _log_partition(logits, proto_logits)
            expected = None
            if expected_similarity:
                with torch.no_grad():
                    expected = _expected_similarity(logits, sim, proto_logits, proto_sim, log_z)
        else:
            log_z, expected = _ChunkedLogPartition.apply(z, t_a, anchor_index, protos, proto_mask,
                                                         chunk_size, expected_similarity)
            expected = expected if expected_similarity else None
        anchor_loss = log_z - mean_pos_sim / t_a
        return BDCLTerms(anchor_loss.mean(), anchor_index, anchor_loss, t_a.detach(),
                         mean_pos_sim.detach(), expected, detached, class_count)


def bdcl_loss(features: Tensor,
              labels: Tensor,
              temperatures: Tensor,
              prototypes: Optional[Tensor] = None,
              prototype_mask: Optional[Tensor] = None,
              chunk_size: Optional[int] = None) -> Tensor:
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

    Returns:
        Tensor: ``()`` float32 loss (float64 for float64 features).
    """
    return bdcl_loss_terms(features, labels, temperatures, prototypes, prototype_mask,
                           chunk_size).loss


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
                     f"expected one of {TDL_RULES[:3]}")


def bdcl_statistics(terms: BDCLTerms, labels: Tensor, preds: Optional[Tensor], num_classes: int,
                    tdl: str, use_prototypes: bool) -> Dict[str, Tensor]:
    """Per-class sums (so that a sum over iterations and ranks stays exact) for the updates.

    Keys (all float32): with ``tdl != 'none'`` ``tdl_grad_sum (C,)`` (sum of ``g_i`` over valid
    anchors of the class) and ``tdl_count (C,)``; with ``use_prototypes`` ``hard_sum (C, D)`` /
    ``hard_count (C,)`` (normalised features of items with ``preds != labels``) and ``feat_sum
    (C, D)`` / ``feat_count (C,)`` (all normalised features, for first-appearance init).

    Args:
        terms (BDCLTerms): output of :func:`bdcl_loss_terms` (with ``expected_similarity`` set
            for 'descent'/'ascent').
        labels (Tensor): ``(N,)`` int64 labels of the same items.
        preds (Tensor | None): ``(N,)`` predicted classes; None means no hard example.
        num_classes (int): C.
        tdl (str): TDL rule.
        use_prototypes (bool): whether HEP statistics are needed.

    Returns:
        dict[str, Tensor]: the statistics (empty dict if nothing is needed).
    """
    stats: Dict[str, Tensor] = {}
    z = terms.features.float()
    labels = labels.long()
    if tdl != 'none':
        grad = tdl_anchor_gradient(tdl, terms.mean_pos_sim, terms.expected_sim,
                                   terms.anchor_temperature).float()
        y_a = labels[terms.anchor_index]
        stats['tdl_grad_sum'] = z.new_zeros(num_classes).index_add(0, y_a, grad)
        stats['tdl_count'] = torch.bincount(y_a, minlength=num_classes).float()
    if use_prototypes:
        stats['feat_sum'] = z.new_zeros(num_classes, z.shape[1]).index_add(0, labels, z)
        stats['feat_count'] = terms.class_count.float()
        hard = (
            torch.zeros_like(labels, dtype=torch.bool)
            if preds is None else preds.to(labels.device).long() != labels)
        stats['hard_sum'] = z.new_zeros(num_classes, z.shape[1]).index_add(0, labels[hard], z[hard])
        stats['hard_count'] = torch.bincount(labels[hard], minlength=num_classes).float()
    return stats


def tdl_update(temperatures: Tensor, grad_sum: Tensor, count: Tensor, rule: str, lr: float,
               tau_min: float, tau_max: float) -> Tensor:
    """One TDL step on the temperatures themselves (not on log tau), then clamp.

    ``g_c = grad_sum_c / count_c`` is the mean over class c's anchors, so head classes do not
    dominate; ``'paper'``/``'descent'``: ``tau_c <- tau_c - lr g_c``; ``'ascent'``:
    ``tau_c <- tau_c + lr g_c``; ``'none'`` or ``count_c == 0``: unchanged. Finally clamp to
    ``[tau_min, tau_max]``.

    Args:
        temperatures (Tensor): ``(C,)`` current temperatures.
        grad_sum (Tensor): ``(C,)`` summed per-anchor gradients.
        count (Tensor): ``(C,)`` number of anchors summed.
        rule (str): TDL rule.
        lr (float): step size.
        tau_min (float): lower clamp.
        tau_max (float): upper clamp.

    Returns:
        Tensor: ``(C,)`` new temperatures.
    """
    if rule not in TDL_RULES:
        raise ValueError(f"tdl must be one of {TDL_RULES}, got '{rule}'")
    temperatures = temperatures.float()
    if rule != 'none':
        sign = 1.0 if rule == 'ascent' else -1.0
        mean_grad = grad_sum.float() / count.float().clamp(min=1.0)
        temperatures = torch.where(count > 0, temperatures + sign * lr * mean_grad, temperatures)
    return temperatures.clamp(tau_min, tau_max)


def hep_update(prototypes: Tensor, valid: Tensor, hard_sum: Tensor, hard_count: Tensor,
               feat_sum: Tensor, feat_count: Tensor, momentum: float) -> Tuple[Tensor, Tensor]:
    """Hard-example prototype (HEP) update.

    A class that has no valid prototype yet and appears (``feat_count > 0``) is initialised to
    ``normalize(mean of all its features)`` and marked valid. Every other valid class with hard
    examples moves by ``z*_c <- normalize((1 - m) z*_c + m mean(hard features of c))``; classes
    without hard examples keep their prototype. A zero-norm result leaves the prototype as it was.

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
    eps = 1e-12
    first_mean = feat_sum.float() / feat_count.float().clamp(min=1.0)[:, None]
    initialise = (~valid) & (feat_count > 0) & (first_mean.norm(dim=1) > eps)
    hard_mean = hard_sum.float() / hard_count.float().clamp(min=1.0)[:, None]
    moved = (1.0 - momentum) * prototypes + momentum * hard_mean
    move = valid & (hard_count > 0) & (moved.norm(dim=1) > eps)
    new = torch.where(move[:, None], F.normalize(moved, dim=1), prototypes)
    new = torch.where(initialise[:, None], F.normalize(first_mean, dim=1), new)
    return new, valid | initialise
