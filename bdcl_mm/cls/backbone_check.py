"""Refuse a checkpoint that does not fill every backbone tensor (the cRT stage-2 guard).

A cRT stage 2 freezes the backbone and trains a fresh classifier on it, and mmengine loads
``load_from`` non-strictly: a checkpoint whose keys do not match the backbone (another
architecture, another key prefix, a stage-2 config pointed at the wrong file) loads nothing into
it with only a printed warning, and the classifier is trained on a random frozen backbone.

* :func:`backbone_load` compares a checkpoint's state dict, after mmengine's key handling
  (``state_dict`` of a checkpoint dict, the ``revise_keys`` substitutions, ``module.`` stripped by
  default), with ``model.backbone``'s state dict: which tensors are missing and which differ in
  shape. BatchNorm's ``num_batches_tracked`` counters are left out, as mmengine's own report does.
* ``BackboneLoadCheckHook`` runs it at ``after_load_checkpoint`` (``load_from`` and resume, before
  the weights are copied) and raises unless every backbone tensor loads. The cRT stage-2 configs
  list it; :func:`bdcl_mm.cls.config_checks.check_config` adds it to any ``CRTClsHead`` config
  that does not.
"""
import re
from dataclasses import dataclass, field
from typing import List, Mapping, Sequence, Tuple

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpretrain.registry import HOOKS
from torch import nn

#: mmengine's ``Runner.load_checkpoint`` default key substitutions.
RUNNER_REVISE_KEYS = ((r'^module.', ''), )
#: How many missing / mismatched keys a message names.
SHOWN_KEYS = 5


@dataclass
class BackboneLoad:
    """How a checkpoint fills ``model.backbone``.

    Attributes:
        total (int): backbone tensors compared (``num_batches_tracked`` left out).
        missing (list[str]): full model keys (``backbone.*``) the checkpoint lacks.
        mismatched (list[tuple[str, tuple, tuple]]): ``(key, checkpoint shape, model shape)``.
    """
    total: int
    missing: List[str] = field(default_factory=list)
    mismatched: List[Tuple[str, tuple, tuple]] = field(default_factory=list)

    @property
    def loaded(self) -> int:
        """Backbone tensors the checkpoint fills with the right shape."""
        return self.total - len(self.missing) - len(self.mismatched)

    @property
    def complete(self) -> bool:
        return self.loaded == self.total


def checkpoint_state_dict(checkpoint: Mapping,
                          revise_keys: Sequence[Tuple[str, str]] = RUNNER_REVISE_KEYS) -> dict:
    """The state dict mmengine loads from ``checkpoint``: its ``state_dict`` entry (or the
    mapping itself), keys rewritten by each ``(pattern, replacement)`` of ``revise_keys``."""
    state = checkpoint.get('state_dict', checkpoint)
    for pattern, replacement in revise_keys:
        state = {re.sub(pattern, replacement, key): value for key, value in state.items()}
    return state


def backbone_load(model: nn.Module,
                  checkpoint: Mapping,
                  revise_keys: Sequence[Tuple[str, str]] = RUNNER_REVISE_KEYS) -> BackboneLoad:
    """Compare a checkpoint with ``model.backbone`` (keys and shapes).

    Args:
        model (nn.Module): a classifier with a ``backbone`` (possibly wrapped, e.g. DDP).
        checkpoint (Mapping): a checkpoint dict (with ``state_dict``) or a state dict.
        revise_keys: key substitutions applied before the comparison (mmengine's default).

    Returns:
        BackboneLoad: the backbone tensors compared, the missing and the mismatched ones.
    """
    while is_model_wrapper(model):
        model = model.module
    source = checkpoint_state_dict(checkpoint, revise_keys)
    report = BackboneLoad(total=0)
    for name, tensor in model.backbone.state_dict().items():
        if name.endswith('num_batches_tracked'):
            continue
        key = f'backbone.{name}'
        report.total += 1
        if key not in source:
            report.missing.append(key)
        elif tuple(getattr(source[key], 'shape', ())) != tuple(tensor.shape):
            report.mismatched.append((key, tuple(source[key].shape), tuple(tensor.shape)))
    return report


def _first(items: Sequence[str]) -> str:
    shown = ', '.join(items[:SHOWN_KEYS])
    return shown + (f', ... ({len(items) - SHOWN_KEYS} more)' if len(items) > SHOWN_KEYS else '')


def check_backbone_load(report: BackboneLoad, source: str) -> None:
    """Raise unless every backbone tensor loads.

    Args:
        report (BackboneLoad): from :func:`backbone_load`.
        source (str): the checkpoint's name, for the message.

    Raises:
        ValueError: naming the first missing / mismatched keys, their counts and the fix.
    """
    if report.complete:
        return
    parts = []
    if report.missing:
        parts.append(f'{len(report.missing)} missing ({_first(report.missing)})')
    if report.mismatched:
        shapes = [f'{k} {tuple(a)} in the checkpoint, {tuple(b)} in the model'
                  for k, a, b in report.mismatched]
        parts.append(f'{len(report.mismatched)} with another shape ({_first(shapes)})')
    raise ValueError(
        f'The checkpoint {source} fills only {report.loaded} of the {report.total} backbone '
        f'tensors: {"; ".join(parts)}. The backbone would stay at its random initialisation '
        f'(mmengine loads non-strictly). Point load_from at the stage-1 checkpoint of this '
        f'architecture (e.g. --cfg-options load_from=work_dirs/<stage-1 config>/epoch_<N>.pth), '
        f'whose state_dict has a backbone.* entry of the same shape for every tensor.')


@HOOKS.register_module()
class BackboneLoadCheckHook(Hook):
    """Stop the run when the loaded checkpoint does not fill every backbone tensor.

    Runs at ``after_load_checkpoint``, which mmengine calls for ``load_from`` and for a resume
    before it copies the weights (:func:`backbone_load`, :func:`check_backbone_load`). A run
    that loads nothing (a backbone ``init_cfg`` instead) is not checked.
    """

    priority = 'VERY_HIGH'

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        load_from = getattr(runner, '_load_from', None)
        source = repr(load_from) if load_from else 'being loaded'
        check_backbone_load(backbone_load(runner.model, checkpoint), source)
