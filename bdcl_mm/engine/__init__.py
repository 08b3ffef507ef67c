"""mmengine side: the BDCL hook, the class-count hooks and the safe checkpoint loader.

Importing this package registers ``BDCLHook`` (and ``BDCLLoss``, which it drives),
``ClassCountsHook`` and ``DRWHook`` (and ``LDAMLoss`` / ``GCLLoss``) but does not install the
checkpoint loader; :mod:`bdcl_mm.registration`, the host plugins and the tools do.
"""
from .class_counts import ClassCounts, count_classes
from .checkpoint import (TrustedCheckpointError, install_safe_checkpoint_loader,
                         register_safe_checkpoint_loader, safe_torch_load)
from .hooks import *  # noqa: F401,F403
from .hooks import __all__ as _hooks_all

__all__ = [
    'ClassCounts', 'TrustedCheckpointError', 'count_classes', 'install_safe_checkpoint_loader',
    'register_safe_checkpoint_loader', 'safe_torch_load'
] + list(_hooks_all)
