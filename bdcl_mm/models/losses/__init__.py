"""Contrastive maths (pure torch: :mod:`.functional` for BDCL, :mod:`.tsc_functional` for TSC)
and their registered modules ``BDCLLoss`` and ``TSCLoss``.

``BDCLLoss``, ``TSCLoss`` (and ``DEFAULT_TDL_LR``, defined beside ``BDCLLoss``) are imported on
first access, so importing the maths does not import mmengine.
"""
from bdcl_mm._lazy import lazy_exports
from .functional import (GRADIENT_RULES, TDL_RULES, BDCLTerms, balance_error, bdcl_loss,
                         bdcl_loss_terms, bdcl_statistics, hep_update, running_margin_update,
                         tdl_anchor_gradient, tdl_update)
from .statistics import BDCLStatistics, StatisticsLoss, SummedStatistics
from .tsc_functional import (TSCStatistics, TSCTerms, centroid_update, generate_targets,
                             hungarian_assignment, tsc_loss, tsc_loss_terms, tsc_statistics,
                             uniformity_loss)

__all__ = [
    'BDCLLoss', 'BDCLStatistics', 'BDCLTerms', 'DEFAULT_TDL_LR', 'GRADIENT_RULES',
    'StatisticsLoss', 'SummedStatistics', 'TDL_RULES', 'TSCLoss', 'TSCStatistics', 'TSCTerms',
    'balance_error', 'bdcl_loss', 'bdcl_loss_terms', 'bdcl_statistics', 'centroid_update',
    'generate_targets', 'hep_update', 'hungarian_assignment', 'running_margin_update',
    'tdl_anchor_gradient', 'tdl_update', 'tsc_loss', 'tsc_loss_terms', 'tsc_statistics',
    'uniformity_loss'
]

__getattr__, __dir__ = lazy_exports(__name__, {
    'BDCLLoss': '.bdcl_loss',
    'DEFAULT_TDL_LR': '.bdcl_loss',
    'TSCLoss': '.tsc_loss'
})
