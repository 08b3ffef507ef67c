"""BDCL maths (:mod:`.functional`, pure torch) and its registered module ``BDCLLoss``.

``BDCLLoss`` (and ``DEFAULT_TDL_LR``, defined beside it) are imported on first access, so
importing the maths does not import mmengine.
"""
from bdcl_mm._lazy import lazy_exports
from .functional import (GRADIENT_RULES, TDL_RULES, BDCLTerms, balance_error, bdcl_loss,
                         bdcl_loss_terms, bdcl_statistics, hep_update, running_margin_update,
                         tdl_anchor_gradient, tdl_update)
from .statistics import BDCLStatistics
from .tdl_equilibrium import balance_equilibrium, balance_is_interior, balance_target

__all__ = [
    'BDCLLoss', 'BDCLStatistics', 'BDCLTerms', 'DEFAULT_TDL_LR', 'GRADIENT_RULES', 'TDL_RULES',
    'balance_equilibrium', 'balance_error', 'balance_is_interior', 'balance_target', 'bdcl_loss', 'bdcl_loss_terms', 'bdcl_statistics', 'hep_update',
    'running_margin_update', 'tdl_anchor_gradient', 'tdl_update'
]

__getattr__, __dir__ = lazy_exports(__name__, {
    'BDCLLoss': '.bdcl_loss',
    'DEFAULT_TDL_LR': '.bdcl_loss'
})
