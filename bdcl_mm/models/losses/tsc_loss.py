"""``TSCLoss``: the registered module around :mod:`bdcl_mm.models.losses.tsc_functional`."""
import warnings
from typing import Optional

import torch
from mmengine.registry import MODELS
from torch import Tensor, nn

from bdcl_mm.utils import check_int, check_number, check_positive_int
from .embedding_inputs import check_embedding_call
from .statistics import SummedStatistics
from .tsc_functional import (DEFAULT_TARGET_STEPS, TSCStatistics, centroid_update,
                             check_target_dims, generate_targets, hungarian_assignment,
                             tsc_loss_terms, tsc_statistics)


@MODELS.register_module()
class TSCLoss(nn.Module):
    """Targeted supervised contrastive loss (TSC) with its class-target state.

    From "Targeted Supervised Contrastive Learning for Long-Tailed Recognition" (Li et al., CVPR
    2022; reference LTH14/targeted-supcon). In-batch SupCon form (the reference's CIFAR
    variant: no MoCo queue or momentum encoder), every item an anchor::

        L = mean_i L_class(i) + tw * mean_i L_target(i)

    where the class's assigned target is one extra positive, all ``C`` targets are in every
    denominator and both terms are divided by the anchor's number of positives, targets counted
    (:mod:`.tsc_functional`).

    State (buffers, so checkpoints carry it and a resumed run continues from it): ``targets
    (C, D)`` (minimisers of the uniformity loss, deterministic per ``(C, D, target_seed)``),
    ``centroids (C, D)`` and ``centroid_valid (C,)`` (EMA class centroids and whether each was
    initialised) and ``assignment (C,)`` (the target of each class, identity at the start). The
    loss never changes its own state: a training forward only accumulates per-class feature
    sums, and ``BDCLHook`` pops them after each iteration, sums them over ranks and calls
    :meth:`apply_statistics`, which moves the centroids and re-solves the assignment (Hungarian,
    ``scipy.optimize.linear_sum_assignment``), identically on every rank. So the loss of an
    iteration uses the assignment of the centroids up to the previous one (the reference
    updates the centroids inside the forward, before its loss).

    Args:
        num_classes (int): C.
        feat_dim (int): D, the embedding size; at least ``C - 1``.
        temperature (float): ``T`` of the contrastive logits. Defaults to 0.07 (the reference's).
        target_weight (float): ``tw``, the weight of the target term. Defaults to 0.2 (the
            reference's ImageNet-LT command).
        momentum (float): weight of the batch in the centroid EMA,
            ``c <- normalize((1 - m) c + m normalize(batch mean))``. Defaults to 0.1.
        target_seed (int): seed of the target generation. Defaults to 0.
        target_steps (int): Adam steps of the target generation. Defaults to
            ``DEFAULT_TARGET_STEPS``.
        ignore_index (int | None): label of items to drop; None drops none. Defaults to 255.
        loss_weight (float): multiplier of the returned loss. Defaults to 1.0.
        loss_name (str): key of this loss in a losses dict. Defaults to 'loss_tsc'.
        chunk_size (int | None): anchors per chunk (memory linear in N); None builds the full
            matrix. Defaults to None.

    Raises:
        ValueError: ``feat_dim < num_classes - 1`` (the targets cannot be spread evenly), or a
            bad argument.
    """

    def __init__(self,
                 num_classes: int,
                 feat_dim: int,
                 temperature: float = 0.07,
                 target_weight: float = 0.2,
                 momentum: float = 0.1,
                 target_seed: int = 0,
                 target_steps: int = DEFAULT_TARGET_STEPS,
                 ignore_index: Optional[int] = 255,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_tsc',
                 chunk_size: Optional[int] = None) -> None:
        super().__init__()
        num_classes = check_positive_int('num_classes', num_classes)
        feat_dim = check_positive_int('feat_dim', feat_dim)
        check_target_dims(num_classes, feat_dim)
        check_number('temperature', temperature, 0, include_minimum=False)
        check_number('target_weight', target_weight, 0)
        check_number('momentum', momentum, 0, 1, include_minimum=False)
        check_number('loss_weight', loss_weight)
        self.target_seed = check_int('target_seed', target_seed)
        self.target_steps = check_positive_int('target_steps', target_steps)
        self.ignore_index = check_int('ignore_index', ignore_index, allow_none=True)
        self.chunk_size = check_positive_int('chunk_size', chunk_size, allow_none=True)
        if not isinstance(loss_name, str) or not loss_name.startswith('loss'):
            raise ValueError(f"loss_name must be a str starting with 'loss' (mmengine sums "
                             f"those keys into the total loss), got {loss_name!r}")
        self.num_classes = num_classes
        self.feat_dim = feat_dim
        self.temperature = float(temperature)
        self.target_weight = float(target_weight)
        self.momentum = float(momentum)
        self.loss_weight = float(loss_weight)
        self._loss_name = loss_name
        targets = generate_targets(num_classes, feat_dim, self.target_seed, self.target_steps)
        self.register_buffer('targets', targets)
        self.register_buffer('centroids', torch.zeros(num_classes, feat_dim))
        self.register_buffer('centroid_valid', torch.zeros(num_classes, dtype=torch.bool))
        self.register_buffer('assignment', torch.arange(num_classes))
        self._statistics: Optional[TSCStatistics] = None
        self.statistics_consumer_attached = False
        self._warned_unconsumed = False

    @property
    def loss_name(self) -> str:
        """Key of this loss in a losses dict (mmseg convention)."""
        return self._loss_name

    @property
    def needs_statistics(self) -> bool:
        """Training forwards always accumulate the centroid statistics."""
        return True

    def extra_repr(self) -> str:
        return (f'num_classes={self.num_classes}, feat_dim={self.feat_dim}, '
                f'temperature={self.temperature}, target_weight={self.target_weight}, '
                f'momentum={self.momentum}, target_seed={self.target_seed}, '
                f'loss_weight={self.loss_weight}, chunk_size={self.chunk_size}')

    def forward(self,
                features: Tensor,
                labels: Tensor,
                preds: Optional[Tensor] = None,
                groups: Optional[Tensor] = None,
                **logit_loss_kwargs) -> Tensor:
        """Compute the weighted loss; in training mode also accumulate centroid statistics.

        Items labelled ``ignore_index`` are dropped; items whose features are not finite are
        dropped and mark this forward's statistics unusable.

        Args:
            features (Tensor): ``(N, D)`` embeddings of any float dtype (normalised here).
            labels (Tensor): ``(N,)`` int64 classes in ``[0, C)`` or ``ignore_index``.
            preds (Tensor | None): predictions the contrast paths pass to every contrastive
                loss; TSC does not use them.
            groups (Tensor | None): ``(N,)`` integer group of each item (e.g. its image): an
                anchor contrasts only with items of its own group; targets are shared.
            **logit_loss_kwargs: what a host passes to a loss of logits: a ``TypeError``.

        Returns:
            Tensor: ``()`` float32 loss times ``loss_weight``.
        """
        check_embedding_call('TSCLoss', features, self.feat_dim, logit_loss_kwargs, labels=labels,
                             groups=groups)
        finite = torch.isfinite(features).all(dim=1)
        keep = finite if self.ignore_index is None else finite & (labels != self.ignore_index)
        nonfinite = int((~finite).sum())
        if not bool(keep.all()):
            features, labels = features[keep], labels[keep]
            groups = None if groups is None else groups[keep]
        if labels.numel() and (labels.min() < 0 or labels.max() >= self.num_classes):
            raise ValueError(f'labels must lie in [0, C) with C = num_classes = '
                             f'{self.num_classes}, or equal ignore_index={self.ignore_index}; '
                             f'got values in [{int(labels.min())}, {int(labels.max())}]')
        terms = tsc_loss_terms(features, labels, self.targets, self.assignment, self.temperature,
                               self.target_weight, self.chunk_size, groups)
        if self.training:
            with torch.no_grad():
                stats = tsc_statistics(terms.features, labels, self.num_classes)
                stats.nonfinite += nonfinite
                self._accumulate(stats)
        return terms.loss * self.loss_weight

    def _accumulate(self, stats: TSCStatistics) -> None:
        if self._statistics is None:
            self._statistics = stats
            return
        if not self.statistics_consumer_attached and not self._warned_unconsumed:
            warnings.warn(
                'TSCLoss is accumulating class-centroid statistics over several training '
                'forwards but nothing consumes them, so the centroids and the class-to-target '
                "assignment never change. Add custom_hooks=[dict(type='BDCLHook')] to the "
                'config (or call pop_statistics()/apply_statistics() yourself).',
                UserWarning,
                stacklevel=3)
            self._warned_unconsumed = True
        self._statistics = self._statistics + stats

    def empty_statistics(self) -> TSCStatistics:
        """Zero statistics of this loss's shapes, on the buffers' device."""
        return TSCStatistics.zeros(self.num_classes, self.feat_dim, self.centroids.device)

    def pop_statistics(self) -> Optional[TSCStatistics]:
        """Return the statistics accumulated since the last pop and clear them."""
        stats, self._statistics = self._statistics, None
        return stats

    @torch.no_grad()
    def apply_statistics(self, stats: SummedStatistics) -> bool:
        """Move the centroids by one EMA step and re-solve the assignment, in place.

        Args:
            stats (TSCStatistics): as returned by :meth:`pop_statistics`, possibly summed over
                ranks and iterations.

        Returns:
            bool: whether they were applied (False: refused as non-finite, state unchanged).
        """
        if not isinstance(stats, TSCStatistics):
            raise ValueError(f'statistics must be a TSCStatistics (from pop_statistics), got '
                             f'{type(stats).__name__}')
        expected = self.empty_statistics()
        for name, value in stats.tensors().items():
            if value.shape != getattr(expected, name).shape:
                raise ValueError(f'statistics field {name} has shape {tuple(value.shape)}, '
                                 f'expected {tuple(getattr(expected, name).shape)} for '
                                 f'num_classes={self.num_classes}, feat_dim={self.feat_dim}')
        if not stats.is_finite():
            return False
        centroids, valid = centroid_update(self.centroids, self.centroid_valid, stats.feat_sum,
                                           stats.feat_count, self.momentum)
        self.centroids.copy_(centroids)
        self.centroid_valid.copy_(valid)
        self.assignment.copy_(hungarian_assignment(self.centroids, self.targets))
        return True
