"""Contrastive maths (pure torch: :mod:`.functional` for BDCL, :mod:`.tsc_functional` for TSC)
and their registered modules ``BDCLLoss`` and ``TSCLoss``; the SoftIoU maths
(:mod:`.soft_iou_functional`, registered for mmseg as ``bdcl_mm.seg.SoftIoULoss``).

``BDCLLoss``, ``TSCLoss`` (and ``DEFAULT_TDL_LR``, defined beside ``BDCLLoss``) are imported on
first access, so importing the maths does not import mmengine. The rivals LDAM-DRW and GCL: maths
in :mod:`.margin_functional`, modules ``LDAMLoss`` / ``GCLLoss`` (:mod:`.margin_losses`, also on
first access).
"""
from bdcl_mm._lazy import lazy_exports
from .functional import (GRADIENT_RULES, TDL_RULES, BDCLTerms, balance_error, bdcl_loss,
                         bdcl_loss_terms, bdcl_statistics, hep_update, running_margin_update,
                         tdl_anchor_gradient, tdl_update)
from .margin_functional import (effective_number_weights, gcl_loss, gcl_noise_scale, ldam_loss,
                                ldam_margins, margin_cross_entropy, sample_gcl_noise)
from .soft_iou_functional import soft_iou_loss
from .statistics import BDCLStatistics, StatisticsLoss, SummedStatistics
from .tdl_equilibrium import balance_equilibrium, balance_is_interior, balance_target
from .tsc_functional import (TSCStatistics, TSCTerms, centroid_update, generate_targets,
                             hungarian_assignment, tsc_loss, tsc_loss_terms, tsc_statistics,
                             uniformity_loss)

__all__ = [
    'BDCLLoss', 'BDCLStatistics', 'BDCLTerms', 'ClassCountLoss', 'DEFAULT_TDL_LR', 'GCLLoss',
    'GRADIENT_RULES', 'LDAMLoss', 'StatisticsLoss', 'SummedStatistics', 'TDL_RULES', 'TSCLoss',
    'TSCStatistics', 'TSCTerms', 'balance_equilibrium', 'balance_error', 'balance_is_interior',
    'balance_target', 'bdcl_loss', 'bdcl_loss_terms', 'bdcl_statistics', 'centroid_update',
    'effective_number_weights', 'gcl_loss', 'gcl_noise_scale', 'generate_targets', 'hep_update',
    'hungarian_assignment', 'ldam_loss', 'ldam_margins', 'margin_cross_entropy',
    'running_margin_update', 'sample_gcl_noise', 'soft_iou_loss', 'tdl_anchor_gradient',
    'tdl_update', 'tsc_loss', 'tsc_loss_terms', 'tsc_statistics', 'uniformity_loss'
]

__getattr__, __dir__ = lazy_exports(__name__, {
    'BDCLLoss': '.bdcl_loss',
    'DEFAULT_TDL_LR': '.bdcl_loss',
    'ClassCountLoss': '.margin_losses',
    'GCLLoss': '.margin_losses',
    'LDAMLoss': '.margin_losses',
    'TSCLoss': '.tsc_loss',
})
