"""``BDCLLoss``: the registered module around :mod:`bdcl_mm.models.losses.functional`."""
import dataclasses
import math
import warnings
from typing import Optional

import torch
from mmengine.registry import MODELS
from torch import Tensor, nn

from bdcl_mm.utils import check_choice, check_int, check_number, check_positive_int
from .embedding_inputs import check_embedding_call
from .functional import (TDL_RULES, bdcl_loss_terms, bdcl_statistics, hep_update,
                         running_margin_update, tdl_update)
from .statistics import BDCLStatistics

#: ``tdl_lr`` when none is given: 1/time constant for 'balance', a step in tau otherwise.
DEFAULT_TDL_LR = {'balance': 1e-2, 'paper': 3e-6, 'descent': 3e-6, 'ascent': 3e-6, 'none': 3e-6}
#: Weight of each update's margins in the running estimate that 'balance' reads.
DEFAULT_MARGIN_MOMENTUM = 1e-2


@MODELS.register_module()
class BDCLLoss(nn.Module):
    """Balanced and Discriminative Contrastive Loss with TDL and HEP state.

    From "Balanced and Discriminative Contrastive Learning for Class-Imbalanced Medical Images",
    IEEE International Conference on Acoustics, Speech and Signal Processing (ICASSP) 2024.

    The loss of anchor ``i`` (class ``c = y_i``, temperature ``t = tau_c``) is::

        L(i) = -1/(|P(i)|+1) sum_{p in P(i) + {z*_c}} log( exp(z_i.z_p/t) /
                 (sum_{a in A(i)} exp(s_ia/t) + sum_{k valid} exp(z_i.z*_k/t)) )

    averaged over anchors with at least one positive (see :func:`functional.bdcl_loss`).

    State (buffers, so checkpoints carry it): ``log_tau (C,)``, ``margin_running_sum (C,)`` and
    ``margin_running_count (C,)`` (the margin estimate of 'balance'), ``prototypes (C, D)`` and
    ``prototype_valid (C,)``. The loss never changes its own state: in training mode ``forward``
    only accumulates detached per-class sums, and ``BDCLHook`` pops them after each iteration,
    sums them over ranks and calls :meth:`apply_statistics`.

    Temperature Dynamic Learning (TDL, ``tdl``), one temperature per class (stored as
    ``log_tau``, clamped to ``[tau_min, tau_max]``); where each rule settles is stated in
    :func:`functional.tdl_update` and derived in docs/tdl_rule_choice.md:

    * ``'balance'`` (default): a controller on ``log tau`` that equalises across classes the
      relative penalty of a typical negative against a typical positive (the logit gap
      ``(mean positive - mean negative similarity) / tau_c``; balancing the negatives'
      penalty across classes is BDCL's stated purpose for TDL), keeping the geometric mean of
      the temperatures at ``tau_init``. Equilibrium ``tau_c = tau_init * m_c / GM(m)``
      (``m_c`` the class's margin, GM over the classes), so poorly separated classes end
      colder; it is interior exactly when ``tau_min / tau_init < m_c / GM(m) < tau_max /
      tau_init`` for every class, else some class pins at a clamp
      (:mod:`~bdcl_mm.models.losses.tdl_equilibrium`); time constant ``1/tdl_lr`` updates. The margins are running estimates (moving sums with weight
      ``margin_momentum``, :func:`functional.running_margin_update`), so the temperatures
      follow the features rather than each batch's sampling noise.
    * ``'paper'``: descent on the gradient stated in the paper, ``mean_{p} (1 - z_i.z_p) /
      tau_c^2``. It is never negative, so it only lowers temperatures (down to ``tau_min``).
    * ``'descent'`` / ``'ascent'``: descent / ascent on the exact ``dL(i)/dtau`` (computed
      analytically, equal to autograd), taking each class's gradient as the mean over that
      class's anchors. Descent settles where the loss is flat in tau; ascent runs to a clamp.
    * ``'none'``: fixed temperatures.

    Temperatures are buffers updated by the hook rather than optimizer parameters, which keeps
    DDP simple (no unused parameters, all-reduced like the prototypes). Statistics of a forward
    that saw non-finite features are never applied (the features are dropped from the loss and
    :meth:`apply_statistics` refuses the sums), so one overflowing batch cannot poison the state.

    Hard Example Prototypes (HEP): items with ``preds != labels`` are the hard examples;
    ``z*_c <- normalize((1 - m) z*_c + m mean(hard features of c))`` with ``m = momentum``. A
    class is initialised from the mean of all its features the first time it is seen.

    Args:
        num_classes (int): C.
        feat_dim (int): D, the embedding size.
        tdl (str): 'balance', 'paper', 'descent', 'ascent' or 'none'. Defaults to 'balance'
            (docs/tdl_rule_choice.md).
        tau_init (float): initial temperature of every class, and the geometric mean that
            'balance' keeps. Defaults to 0.1.
        tau_min (float): lower clamp. Defaults to 0.03.
        tau_max (float): upper clamp. Defaults to 1.0.
        tdl_lr (float | None): temperature step size: for 'balance' the fraction of the way to
            equilibrium (in ``log tau``) closed per update, so the time constant is ``1/tdl_lr``
            updates; for the gradient rules the step in ``tau``. None: ``DEFAULT_TDL_LR[tdl]``
            (1e-2 for 'balance', 3e-6 for the others, the order a plain-PyTorch trial found
            usable for the stated gradient, which is about ``(1 - s) / tau^2``).
        margin_momentum (float): weight of each update's margins in the running margin
            estimate of 'balance', in (0, 1]; ``1/margin_momentum`` updates is its memory, and 1
            uses each update's own margins. Defaults to ``DEFAULT_MARGIN_MOMENTUM``.
        use_prototypes (bool): enable HEP. Defaults to True.
        momentum (float): HEP EMA weight of the new batch, in (0, 1]. Defaults to 0.1.
        ignore_index (int | None): label of items to drop; None drops none (for label sets
            that use every integer). Defaults to 255.
        loss_weight (float): multiplier of the returned loss. Defaults to 1.0.
        loss_name (str): key of this loss in a losses dict. Defaults to 'loss_bdcl'.
        chunk_size (int | None): anchors per chunk (memory linear in N); None builds the full
            matrix. Defaults to None.

    Ablations are config switches: SCL ``tdl='none', use_prototypes=False``; w/o TDL
    ``tdl='none'``; w/o HEP ``use_prototypes=False``.
    """

    def __init__(self,
                 num_classes: int,
                 feat_dim: int,
                 tdl: str = 'balance',
                 tau_init: float = 0.1,
                 tau_min: float = 0.03,
                 tau_max: float = 1.0,
                 tdl_lr: Optional[float] = None,
                 margin_momentum: float = DEFAULT_MARGIN_MOMENTUM,
                 use_prototypes: bool = True,
                 momentum: float = 0.1,
                 ignore_index: Optional[int] = 255,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_bdcl',
                 chunk_size: Optional[int] = None) -> None:
        super().__init__()
        num_classes = check_positive_int('num_classes', num_classes)
        feat_dim = check_positive_int('feat_dim', feat_dim)
        check_choice('tdl', tdl, TDL_RULES)
        if not 0 < tau_min <= tau_max:
            raise ValueError(f'need 0 < tau_min <= tau_max, got tau_min={tau_min}, '
                             f'tau_max={tau_max}')
        if not tau_min <= tau_init <= tau_max:
            raise ValueError(f'tau_init={tau_init} must lie in [tau_min, tau_max] = '
                             f'[{tau_min}, {tau_max}]')
        if tdl_lr is None:
            tdl_lr = DEFAULT_TDL_LR[tdl]
        if not (math.isfinite(tdl_lr) and tdl_lr > 0):
            raise ValueError(f'tdl_lr must be a positive finite number, got {tdl_lr}')
        for name, value in (('margin_momentum', margin_momentum), ('momentum', momentum)):
            check_number(name, value, 0, 1, include_minimum=False)
        check_number('loss_weight', loss_weight)
        ignore_index = check_int('ignore_index', ignore_index, allow_none=True)
        chunk_size = check_positive_int('chunk_size', chunk_size, allow_none=True)
        if not isinstance(loss_name, str) or not loss_name.startswith('loss'):
            raise ValueError(f"loss_name must be a str starting with 'loss' (mmengine sums "
                             f"those keys into the total loss), got {loss_name!r}")
        self.num_classes = num_classes
        self.feat_dim = feat_dim
        self.tdl = tdl
        self.tau_min = float(tau_min)
        self.tau_max = float(tau_max)
        self.tdl_lr = float(tdl_lr)
        self.margin_momentum = float(margin_momentum)
        self.tau_init = float(tau_init)
        self.use_prototypes = bool(use_prototypes)
        self.momentum = float(momentum)
        self.ignore_index = ignore_index
        self.loss_weight = float(loss_weight)
        self._loss_name = loss_name
        self.chunk_size = chunk_size
        self.register_buffer('log_tau', torch.full((num_classes, ), math.log(tau_init)))
        self.register_buffer('margin_running_sum', torch.zeros(num_classes))
        self.register_buffer('margin_running_count', torch.zeros(num_classes))
        self.register_buffer('prototypes', torch.zeros(num_classes, feat_dim))
        self.register_buffer('prototype_valid', torch.zeros(num_classes, dtype=torch.bool))
        self._statistics: Optional[BDCLStatistics] = None
        self.statistics_consumer_attached = False
        self._warned_unconsumed = False

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        # checkpoints written before the running margin estimate existed start it from zeros
        for name in ('margin_running_sum', 'margin_running_count'):
            if prefix + 'log_tau' in state_dict and prefix + name not in state_dict:
                state_dict[prefix + name] = torch.zeros_like(getattr(self, name))
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    @property
    def loss_name(self) -> str:
        """Key of this loss in a losses dict (mmseg convention)."""
        return self._loss_name

    @property
    def temperatures(self) -> Tensor:
        """``(C,)`` per-class temperatures ``exp(log_tau)`` clamped to ``[tau_min, tau_max]``."""
        return self.log_tau.exp().clamp(self.tau_min, self.tau_max)

    @property
    def needs_statistics(self) -> bool:
        """Whether training-mode forwards accumulate statistics (False for plain SCL)."""
        return self.tdl != 'none' or self.use_prototypes

    def extra_repr(self) -> str:
        return (f'num_classes={self.num_classes}, feat_dim={self.feat_dim}, tdl={self.tdl!r}, '
                f'tau=[{self.tau_min}, {self.tau_max}], tdl_lr={self.tdl_lr}, '
                f'margin_momentum={self.margin_momentum}, '
                f'use_prototypes={self.use_prototypes}, momentum={self.momentum}, '
                f'loss_weight={self.loss_weight}, chunk_size={self.chunk_size}')

    def forward(self,
                features: Tensor,
                labels: Tensor,
                preds: Optional[Tensor] = None,
                groups: Optional[Tensor] = None,
                **logit_loss_kwargs) -> Tensor:
        """Compute the weighted loss; in training mode also accumulate update statistics.

        Items labelled ``ignore_index`` are dropped. Items whose features are not finite are
        dropped from the loss too, and mark this forward's statistics as unusable (counted in
        ``BDCLStatistics.nonfinite``), so no state update is taken from them.

        Args:
            features (Tensor): ``(N, D)`` embeddings of any float dtype (normalised here).
            labels (Tensor): ``(N,)`` int64 classes in ``[0, C)`` or ``ignore_index``.
            preds (Tensor | None): ``(N,)`` predicted classes; ``preds != labels`` marks the hard
                examples feeding HEP.
            groups (Tensor | None): ``(N,)`` integer group of each item (e.g. its image): an
                anchor contrasts only with items of its own group; prototypes are shared.
            **logit_loss_kwargs: what a host passes to a loss of logits (``weight``,
                ``ignore_index``, ``avg_factor``): a ``TypeError`` saying where BDCL goes.

        Returns:
            Tensor: ``()`` float32 loss times ``loss_weight``.
        """
        check_embedding_call('BDCLLoss', features, self.feat_dim, logit_loss_kwargs, labels=labels,
                             preds=preds, groups=groups)
        finite = torch.isfinite(features).all(dim=1)
        keep = finite if self.ignore_index is None else finite & (labels != self.ignore_index)
        nonfinite = int((~finite).sum())
        if not bool(keep.all()):
            features, labels = features[keep], labels[keep]
            preds = None if preds is None else preds[keep]
            groups = None if groups is None else groups[keep]
        if labels.numel() and (labels.min() < 0 or labels.max() >= self.num_classes):
            raise ValueError(f'labels must lie in [0, C) with C = num_classes = '
                             f'{self.num_classes}, or equal ignore_index={self.ignore_index}; '
                             f'got values in [{int(labels.min())}, {int(labels.max())}]')
        collect = self.training and self.needs_statistics
        terms = bdcl_loss_terms(
            features,
            labels,
            self.temperatures,
            self.prototypes if self.use_prototypes else None,
            self.prototype_valid if self.use_prototypes else None,
            self.chunk_size,
            expected_similarity=collect and self.tdl in ('descent', 'ascent'),
            groups=groups)
        if collect:
            with torch.no_grad():
                stats = bdcl_statistics(terms, labels, preds, self.num_classes, self.tdl,
                                        self.use_prototypes)
                stats.nonfinite += nonfinite
                self._accumulate(stats)
        return terms.loss * self.loss_weight

    def _accumulate(self, stats: BDCLStatistics) -> None:
        if self._statistics is None:
            self._statistics = stats
            return
        if not self.statistics_consumer_attached and not self._warned_unconsumed:
            warnings.warn(
                'BDCLLoss is accumulating prototype/temperature statistics over several training '
                'forwards but nothing consumes them, so prototypes and temperatures never change. '
                "Add custom_hooks=[dict(type='BDCLHook')] to the config (or call "
                'pop_statistics()/apply_statistics() yourself).',
                UserWarning,
                stacklevel=3)
            self._warned_unconsumed = True
        self._statistics = self._statistics + stats

    def empty_statistics(self) -> BDCLStatistics:
        """Zero statistics of this loss's shapes, on the buffers' device.

        A rank that had no forward in an iteration contributes these to the all-reduce.
        """
        return BDCLStatistics.zeros(self.num_classes, self.feat_dim, self.log_tau.device)

    def pop_statistics(self) -> Optional[BDCLStatistics]:
        """Return the statistics accumulated since the last pop and clear them.

        Returns:
            BDCLStatistics | None: per-class sums (see :func:`functional.bdcl_statistics`), or
            None when no training forward ran.
        """
        stats, self._statistics = self._statistics, None
        return stats

    @torch.no_grad()
    def apply_statistics(self,
                         stats: BDCLStatistics,
                         update_prototypes: bool = True,
                         update_temperatures: bool = True) -> bool:
        """Apply one HEP update and one TDL step from (rank-summed) statistics, in place.

        Sums that are not finite, or that counted a non-finite item, are refused whole: the
        state stays as it was.

        Args:
            stats (BDCLStatistics): as returned by :meth:`pop_statistics`, possibly summed
                over ranks and iterations.
            update_prototypes (bool): apply the HEP update (ignored without prototypes).
            update_temperatures (bool): apply the TDL step (ignored for ``tdl='none'``).

        Returns:
            bool: whether the statistics were applied (False: refused as non-finite).
        """
        if not isinstance(stats, BDCLStatistics):
            raise ValueError(f'statistics must be a BDCLStatistics (from pop_statistics), got '
                             f'{type(stats).__name__}')
        expected = self.empty_statistics()
        for name, value in stats.tensors().items():
            if value.shape != getattr(expected, name).shape:
                raise ValueError(f'statistics field {name} has shape {tuple(value.shape)}, '
                                 f'expected {tuple(getattr(expected, name).shape)} for '
                                 f'num_classes={self.num_classes}, feat_dim={self.feat_dim}')
        if not stats.is_finite():
            return False
        stats = stats.to(self.log_tau.device)
        if update_temperatures and self.tdl != 'none':
            if self.tdl == 'balance':
                running = running_margin_update(self.margin_running_sum,
                                                self.margin_running_count, stats.margin_sum,
                                                stats.margin_count, self.margin_momentum)
                self.margin_running_sum.copy_(running[0])
                self.margin_running_count.copy_(running[1])
                stats = dataclasses.replace(stats, margin_sum=running[0], margin_count=running[1])
            tau = tdl_update(self.temperatures, stats, self.tdl, self.tdl_lr, self.tau_min,
                             self.tau_max, self.tau_init)
            self.log_tau.copy_(tau.log())
        if update_prototypes and self.use_prototypes:
            prototypes, valid = hep_update(
                self.prototypes,
                self.prototype_valid,
                stats.hard_sum,
                stats.hard_count,
                stats.feat_sum,
                stats.feat_count,
                momentum=self.momentum)
            self.prototypes.copy_(prototypes)
            self.prototype_valid.copy_(valid)
        return True
