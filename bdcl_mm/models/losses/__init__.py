"""BDCL maths (:mod:`.functional`, pure torch) and its registered module ``BDCLLoss``; the
SoftIoU maths (:mod:`.soft_iou_functional`, registered for mmseg as ``bdcl_mm.seg.SoftIoULoss``).

``BDCLLoss`` (and ``DEFAULT_TDL_LR``, defined beside it) are imported on first access, so
importing the maths does not import mmengine.
"""
from bdcl_mm._lazy import lazy_exports
from .functional import (GRADIENT_RULES, TDL_RULES, BDCLTerms, balance_error, bdcl_loss,
                         bdcl_loss_terms, bdcl_statistics, hep_update, running_margin_update,
                         tdl_anchor_gradient, tdl_update)
from .soft_iou_functional import soft_iou_loss
from .statistics import BDCLStatistics

__all__ = [
    'BDCLLoss', 'BDCLStatistics', 'BDCLTerms', 'DEFAULT_TDL_LR', 'GRADIENT_RULES', 'TDL_RULES',
    'balance_error', 'bdcl_loss', 'bdcl_loss_terms', 'bdcl_statistics', 'hep_update',
    'running_margin_update', 'tdl_anchor_gradient', 'tdl_update'
]
__all__ += ['soft_iou_loss']

__getattr__, __dir__ = lazy_exports(__name__, {
    'BDCLLoss': '.bdcl_loss',
    'DEFAULT_TDL_LR': '.bdcl_loss'
})
