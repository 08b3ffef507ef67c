"""Per-class sums that the contrastive losses' state updates consume (pure torch).

A training forward of a loss with state (:class:`~bdcl_mm.models.losses.BDCLLoss`,
:class:`~bdcl_mm.models.losses.TSCLoss`) produces one :class:`SummedStatistics`; sums over
iterations (``+``) and over ranks (:meth:`~SummedStatistics.flatten` /
:meth:`~SummedStatistics.unflatten` around one ``all_reduce``) stay exact because every field is
a sum. :class:`StatisticsLoss` is the protocol through which ``BDCLHook`` drives any such loss.

- :class:`BDCLStatistics`: the temperature rules (TDL) and the prototype update (HEP) of BDCL
  (ICASSP 2024) read them in :func:`~bdcl_mm.models.losses.functional.tdl_update` and
  :func:`~bdcl_mm.models.losses.functional.hep_update`.
- :class:`~bdcl_mm.models.losses.tsc_functional.TSCStatistics` (beside the TSC maths): the
  class centroids of targeted supervised contrast.
"""
from dataclasses import dataclass, fields
from typing import Dict, Optional, Protocol, TypeVar, runtime_checkable

import torch
from torch import Tensor

S = TypeVar('S', bound='SummedStatistics')


class SummedStatistics:
    """Base of dataclasses whose every field is a float32 tensor sum (plus ``nonfinite``).

    Subclasses are dataclasses with a ``nonfinite`` field ``()`` (items whose features were not
    finite; non-zero marks the whole sum unusable) and a ``zeros`` constructor.
    """

    nonfinite: Tensor

    def tensors(self) -> Dict[str, Tensor]:
        """The fields by name, in declaration order."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def __add__(self: S, other: S) -> S:
        if type(other) is not type(self):
            return NotImplemented
        mine, theirs = self.tensors(), other.tensors()
        for name, value in mine.items():
            if value.shape != theirs[name].shape:
                raise ValueError(f'cannot add {type(self).__name__} of different shapes: {name} '
                                 f'is {tuple(value.shape)} and {tuple(theirs[name].shape)}')
        return type(self)(**{name: value + theirs[name] for name, value in mine.items()})

    def to(self: S, device) -> S:
        """The same sums on ``device``."""
        return type(self)(**{k: v.to(device) for k, v in self.tensors().items()})

    @property
    def device(self) -> torch.device:
        """The device the sums are on."""
        return self.nonfinite.device

    def is_finite(self) -> bool:
        """True when every sum is finite and no non-finite item was seen."""
        return float(self.nonfinite) == 0 and bool(torch.isfinite(self.flatten()).all())

    def flatten(self) -> Tensor:
        """All sums in one float32 vector (for a single ``all_reduce``)."""
        return torch.cat([v.detach().float().reshape(-1) for v in self.tensors().values()])

    def unflatten(self: S, flat: Tensor) -> S:
        """Sums with this object's shapes read back from a :meth:`flatten` vector."""
        tensors = self.tensors()
        sizes = [v.numel() for v in tensors.values()]
        if flat.numel() != sum(sizes):
            raise ValueError(f'expected {sum(sizes)} values to unflatten, got {flat.numel()}')
        parts = torch.split(flat, sizes)
        return type(self)(
            **{name: part.view(v.shape)
               for (name, v), part in zip(tensors.items(), parts)})

    def state_dict(self) -> Dict[str, Tensor]:
        """CPU copies of the sums, e.g. to store in a checkpoint."""
        return {name: value.detach().cpu() for name, value in self.tensors().items()}

    @classmethod
    def from_state_dict(cls, state: Dict[str, Tensor]):
        """Rebuild from :meth:`state_dict`; missing or unknown keys are an error."""
        names = [f.name for f in fields(cls)]
        if sorted(state) != sorted(names):
            raise ValueError(f'{cls.__name__} state must have the keys {sorted(names)}, got '
                             f'{sorted(state)}')
        return cls(**{name: torch.as_tensor(state[name]).float() for name in names})


@runtime_checkable
class StatisticsLoss(Protocol):
    """What ``BDCLHook`` needs of a loss module whose state follows rank-summed statistics.

    A training forward accumulates detached sums; the hook pops them after the iteration, sums
    them over ranks (a rank without a forward contributes :meth:`empty_statistics`) and hands
    them to :meth:`apply_statistics`, so the state is identical on every rank.

    Attributes:
        num_classes (int): C.
        needs_statistics (bool): whether training forwards accumulate statistics.
        statistics_consumer_attached (bool): set by the hook (silences the loss's warning
            that nothing consumes its statistics).
    """

    num_classes: int
    needs_statistics: bool
    statistics_consumer_attached: bool

    def empty_statistics(self) -> SummedStatistics:
        """Zero sums of this loss's shapes, on its buffers' device."""

    def pop_statistics(self) -> Optional[SummedStatistics]:
        """The sums accumulated since the last pop (None when no training forward ran)."""

    def apply_statistics(self, stats: SummedStatistics) -> bool:
        """Update the state from (rank-summed) sums; False when refused as non-finite."""


@dataclass
class BDCLStatistics(SummedStatistics):
    """Per-class sums of one or more BDCL forwards (all float32, on one device).

    Attributes:
        anchor_count (Tensor): ``(C,)`` valid anchors (items with a positive) per class.
        tdl_grad_sum (Tensor): ``(C,)`` sum over the class's anchors of the per-anchor
            temperature gradient of the configured gradient rule ('paper', 'descent',
            'ascent'); zeros for the other rules.
        margin_sum (Tensor): ``(C,)`` sum over the class's anchors that have a negative of
            ``mean_p s_ip - mean_n s_in`` (the 'balance' rule); zeros otherwise.
        margin_count (Tensor): ``(C,)`` anchors in ``margin_sum``.
        feat_sum (Tensor): ``(C, D)`` sum of the normalised features of each class (HEP's
            first-appearance initialisation).
        feat_count (Tensor): ``(C,)`` items per class.
        hard_sum (Tensor): ``(C, D)`` sum of the normalised features of the hard items
            (predicted as another class).
        hard_count (Tensor): ``(C,)`` hard items per class.
        nonfinite (Tensor): ``()`` items whose features were not finite. A non-zero value
            marks the whole sum as unusable: no state update is taken from it.
    """

    anchor_count: Tensor
    tdl_grad_sum: Tensor
    margin_sum: Tensor
    margin_count: Tensor
    feat_sum: Tensor
    feat_count: Tensor
    hard_sum: Tensor
    hard_count: Tensor
    nonfinite: Tensor

    @classmethod
    def zeros(cls,
              num_classes: int,
              feat_dim: int,
              device: Optional[torch.device] = None) -> 'BDCLStatistics':
        """Empty sums for ``C = num_classes`` classes and ``D = feat_dim`` features."""
        vector = lambda: torch.zeros(num_classes, device=device)  # noqa: E731
        matrix = lambda: torch.zeros(num_classes, feat_dim, device=device)  # noqa: E731
        return cls(vector(), vector(), vector(), vector(), matrix(), vector(), matrix(), vector(),
                   torch.zeros((), device=device))
