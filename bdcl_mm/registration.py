"""One import that registers bdcl_mm's task-agnostic components and installs the checkpoint policy.

For a config that uses them without a host plugin::

    custom_imports = dict(imports=['bdcl_mm.registration'], allow_failed_imports=False)

registers ``BDCLLoss``, ``TSCLoss``, ``LDAMLoss`` and ``GCLLoss`` (mmengine root ``MODELS``),
``BDCLHook``, ``ClassCountsHook`` and ``DRWHook`` (root ``HOOKS``) and ``ClassBalancedSampler``
and ``BalancedMixUpBatchSampler`` (root ``DATA_SAMPLERS``), and calls
:func:`bdcl_mm.engine.checkpoint.install_safe_checkpoint_loader` (what it changes is documented
there). The host plugins ``bdcl_mm.seg`` and ``bdcl_mm.cls`` import this module first.
"""
from .datasets.samplers.balanced_mixup_batch_sampler import BalancedMixUpBatchSampler
from .datasets.samplers.class_balanced_sampler import ClassBalancedSampler
from .engine.checkpoint import install_safe_checkpoint_loader
from .engine.hooks import BDCLHook, ClassCountsHook, DRWHook
from .models.losses.bdcl_loss import BDCLLoss
from .models.losses.margin_losses import GCLLoss, LDAMLoss
from .models.losses.tsc_loss import TSCLoss

install_safe_checkpoint_loader()

__all__ = [
    'BDCLHook', 'BDCLLoss', 'BalancedMixUpBatchSampler', 'ClassBalancedSampler', 'ClassCountsHook',
    'DRWHook', 'GCLLoss', 'LDAMLoss', 'TSCLoss'
]
