"""``BDCLLoss``: the registered module around :mod:`bdcl_mm.models.losses.functional`."""
import math
import warnings
from typing import Dict, Optional

import torch
from mmengine.registry import MODELS
from torch import Tensor, nn

from .functional import TDL_RULES, bdcl_loss_terms, bdcl_statistics, hep_update, tdl_update


@MODELS.register_module()
class BDCLLoss(nn.Module):
    """Balanced and Discriminative Contrastive Loss (BDCL, ICASSP 2024) with TDL and HEP state.

    The loss of anchor ``i`` (class ``c = y_i``, temperature ``t = tau_c``) is::

        L(i) = -1/(|P(i)|+1) sum_{p in P(i) + {z*_c}} log( exp(z_i.z_p/t) /
                 (sum_{a in A(i)} exp(s_ia/t) + sum_{k valid} exp(z_i.z*_k/t)) )

    averaged over anchors with at least one positive (see :func:`functional.bdcl_loss`).

    State (buffers, so checkpoints carry it): ``log_tau (C,)``, ``prototypes (C, D)`` and
    ``prototype_valid (C,)``. The loss never changes its own state: in training mode ``forward``
    only accumulates detached per-class sums, and ``BDCLHook`` pops them after each iteration,
    sums them over ranks and calls :meth:`apply_statistics`.

    Temperature Dynamic Learning (TDL, ``tdl``): each class's gradient ``g_c`` is the mean over
    that class's anchors of a per-anchor gradient (so head classes do not dominate), and the step is
    taken on ``tau`` itself, ``tau_c <- clamp(tau_c -/+ tdl_lr * g_c, tau_min, tau_max)``,
    stored as ``log_tau``. The default ``tdl_lr=3e-6`` is of the order a plain-PyTorch trial found
    usable for the stated gradient (which is about ``(1 - s)/tau^2``, i.e. ~100 at tau = 0.1).

    * ``'paper'``: the gradient stated in the paper, ``mean_{p} (1 - z_i.z_p) / tau_c^2``,
      descent. It is never negative, so it only ever lowers temperatures (fastest for the
      classes whose positives align worst).
    * ``'descent'``: the exact ``dL(i)/dtau`` (computed analytically, equal to autograd),
      descent. Temperatures are buffers updated by the hook rather than optimizer parameters,
      which keeps DDP simple (no unused parameters, all-reduced like the prototypes).
    * ``'ascent'`` (default): the same gradient, ascent: a class whose negatives crowd its
      anchors gets a lower temperature, and head classes end hotter than tail classes.
    * ``'none'``: fixed temperatures.

    Hard Example Prototypes (HEP): items with ``preds != labels`` are the hard examples;
    ``z*_c <- normalize((1 - m) z*_c + m mean(hard features of c))`` with ``m = momentum``. A
    class is initialised from the mean of all its features the first time it is seen.

    Args:
        num_classes (int): C.
        feat_dim (int): D, the embedding size.
        tdl (str): 'paper', 'descent', 'ascent' or 'none'. Defaults to 'ascent', chosen by
            the benchmark (docs/tdl_rule_choice.md): no rule separated on tail accuracy, and
            only 'ascent' left head classes hotter than tail classes as the paper's figure
            shows; the paper's stated gradient ('paper') can only lower temperatures.
        tau_init (float): initial temperature of every class. Defaults to 0.1.
        tau_min (float): lower clamp. Defaults to 0.03.
        tau_max (float): upper clamp. Defaults to 1.0.
        tdl_lr (float): temperature step size. Defaults to 3e-6.
        use_prototypes (bool): enable HEP. Defaults to True.
        momentum (float): HEP EMA weight of the new batch, in (0, 1]. Defaults to 0.1.
        ignore_index (int): label of items to drop. Defaults to 255.
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
                 tdl: str = 'ascent',
                 tau_init: float = 0.1,
                 tau_min: float = 0.03,
                 tau_max: float = 1.0,
                 tdl_lr: float = 3e-6,
                 use_prototypes: bool = True,
                 momentum: float = 0.1,
                 ignore_index: int = 255,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_bdcl',
                 chunk_size: Optional[int] = None) -> None:
        super().__init__()
        for name, value in (('num_classes', num_classes), ('feat_dim', feat_dim)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f'{name} must be a positive int, got {value!r}')
        if tdl not in TDL_RULES:
            raise ValueError(f"tdl must be one of {TDL_RULES}, got {tdl!r}")
        if not 0 < tau_min <= tau_max:
            raise ValueError(f'need 0 < tau_min <= tau_max, got tau_min={tau_min}, '
                             f'tau_max={tau_max}')
        if not tau_min <= tau_init <= tau_max:
            raise ValueError(f'tau_init={tau_init} must lie in [tau_min, tau_max] = '
                             f'[{tau_min}, {tau_max}]')
        if not (math.isfinite(tdl_lr) and tdl_lr > 0):
            raise ValueError(f'tdl_lr must be a positive finite number, got {tdl_lr}')
        if not 0 < momentum <= 1:
            raise ValueError(f'momentum must lie in (0, 1] (the weight of the new batch), '
                             f'got {momentum}')
        if not math.isfinite(loss_weight):
            raise ValueError(f'loss_weight must be finite, got {loss_weight}')
        if isinstance(ignore_index, bool) or not isinstance(ignore_index, int):
            raise ValueError(f'ignore_index must be an int, got {ignore_index!r}')
        if chunk_size is not None and (isinstance(chunk_size, bool)
                                       or not isinstance(chunk_size, int) or chunk_size < 1):
            raise ValueError(f'chunk_size must be None or a positive int, got {chunk_size!r}')
        if not isinstance(loss_name, str) or not loss_name.startswith('loss'):
            raise ValueError(f"loss_name must be a str starting with 'loss' (mmengine sums "
                             f"those keys into the total loss), got {loss_name!r}")
        self.num_classes = num_classes
        self.feat_dim = feat_dim
        self.tdl = tdl
        self.tau_min = float(tau_min)
        self.tau_max = float(tau_max)
        self.tdl_lr = float(tdl_lr)
        self.use_prototypes = bool(use_prototypes)
        self.momentum = float(momentum)
        self.ignore_index = ignore_index
        self.loss_weight = float(loss_weight)
        self._loss_name = loss_name
        self.chunk_size = chunk_size
        self.register_buffer('log_tau', torch.full((num_classes, ), math.log(tau_init)))
        self.register_buffer('prototypes', torch.zeros(num_classes, feat_dim))
        self.register_buffer('prototype_valid', torch.zeros(num_classes, dtype=torch.bool))
        self._statistics: Optional[Dict[str, Tensor]] = None
        self.statistics_consumer_attached = False
        self._warned_unconsumed = False

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
                f'use_prototypes={self.use_prototypes}, momentum={self.momentum}, '
                f'loss_weight={self.loss_weight}, chunk_size={self.chunk_size}')

    def forward(self, features: Tensor, labels: Tensor, preds: Optional[Tensor] = None) -> Tensor:
        """Compute the weighted loss; in training mode also accumulate update statistics.

        Args:
            features (Tensor): ``(N, D)`` embeddings of any float dtype (normalised here).
            labels (Tensor): ``(N,)`` int64 classes in ``[0, C)`` or ``ignore_index``.
            preds (Tensor | None): ``(N,)`` predicted classes; ``preds != labels`` marks the hard
                examples feeding HEP.

        Returns:
            Tensor: ``()`` float32 loss times ``loss_weight``.
        """
        if features.dim() != 2 or features.shape[1] != self.feat_dim:
            raise ValueError(f'features must have shape (N, feat_dim={self.feat_dim}), got '
                             f'{tuple(features.shape)}; set feat_dim to the embedding size')
        if labels.shape != features.shape[:1]:
            raise ValueError(f'labels must have shape (N,) = ({features.shape[0]},), got '
                             f'{tuple(labels.shape)}')
        if preds is not None and preds.shape != labels.shape:
            raise ValueError(f'preds must have the shape of labels {tuple(labels.shape)}, got '
                             f'{tuple(preds.shape)}')
        keep = labels != self.ignore_index
        if not bool(keep.all()):
            features, labels = features[keep], labels[keep]
            preds = None if preds is None else preds[keep]
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
            expected_similarity=collect and self.tdl in ('descent', 'ascent'))
        if collect:
            with torch.no_grad():
                self._accumulate(
                    bdcl_statistics(terms, labels, preds, self.num_classes, self.tdl,
                                    self.use_prototypes))
        return terms.loss * self.loss_weight

    def _accumulate(self, stats: Dict[str, Tensor]) -> None:
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
        for key, value in stats.items():
            self._statistics[key] += value

    def empty_statistics(self) -> Dict[str, Tensor]:
        """Zero statistics with the schema of this configuration, on the buffers' device.

        A rank that had no forward in an iteration contributes these to the all-reduce.
        """
        c, d, device = self.num_classes, self.feat_dim, self.log_tau.device
        stats: Dict[str, Tensor] = {}
        if self.tdl != 'none':
            stats['tdl_grad_sum'] = torch.zeros(c, device=device)
            stats['tdl_count'] = torch.zeros(c, device=device)
        if self.use_prototypes:
            for key, shape in (('feat_sum', (c, d)), ('feat_count', (c, )), ('hard_sum', (c, d)),
                               ('hard_count', (c, ))):
                stats[key] = torch.zeros(shape, device=device)
        return stats

    def pop_statistics(self) -> Optional[Dict[str, Tensor]]:
        """Return the statistics accumulated since the last pop and clear them.

        Returns:
            dict[str, Tensor] | None: per-class sums (see :func:`functional.bdcl_statistics`),
            or None when no training forward ran.
        """
        stats, self._statistics = self._statistics, None
        return stats

    @torch.no_grad()
    def apply_statistics(self,
                         stats: Dict[str, Tensor],
                         update_prototypes: bool = True,
                         update_temperatures: bool = True) -> None:
        """Apply one HEP update and one TDL step from (rank-summed) statistics, in place.

        Args:
            stats (dict[str, Tensor]): as returned by :meth:`pop_statistics`, possibly summed
                over ranks and iterations.
            update_prototypes (bool): apply the HEP update (ignored without prototypes).
            update_temperatures (bool): apply the TDL step (ignored for ``tdl='none'``).
        """
        expected = set(self.empty_statistics())
        if set(stats) != expected:
            raise ValueError(f'statistics must have the keys {sorted(expected)} for this '
                             f'configuration, got {sorted(stats)}')
        if update_temperatures and self.tdl != 'none':
            device = self.log_tau.device
            tau = tdl_update(self.temperatures, stats['tdl_grad_sum'].to(device),
                             stats['tdl_count'].to(device), self.tdl, self.tdl_lr, self.tau_min,
                             self.tau_max)
            self.log_tau.copy_(tau.log())
        if update_prototypes and self.use_prototypes:
            device = self.prototypes.device
            prototypes, valid = hep_update(
                self.prototypes,
                self.prototype_valid,
                *(stats[key].to(device)
                  for key in ('hard_sum', 'hard_count', 'feat_sum', 'feat_count')),
                momentum=self.momentum)
            self.prototypes.copy_(prototypes)
            self.prototype_valid.copy_(valid)
