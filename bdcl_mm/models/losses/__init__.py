"""BDCL maths (:mod:`.functional`, pure torch) and its registered module ``BDCLLoss``.

``BDCLLoss`` (and ``DEFAULT_TDL_LR``, defined beside it) are imported on first access, so
importing the maths does not import mmengine. The rivals LDAM-DRW and GCL: maths in
:mod:`.margin_functional`, modules ``LDAMLoss`` / ``GCLLoss`` (:mod:`.margin_losses`, also on
first access).
"""
from bdcl_mm._lazy import lazy_exports
from .functional import (GRADIENT_RULES, TDL_RULES, BDCLTerms, balance_error, bdcl_loss,
                         bdcl_loss_terms, bdcl_statistics, hep_update, running_margin_update,
                         tdl_anchor_gradient, tdl_update)
from .margin_functional import (effective_number_weights, gcl_loss, gcl_noise_scale, ldam_loss,
                                ldam_margins, margin_cross_entropy, sample_gcl_noise)
from .statistics import BDCLStatistics
from .tdl_equilibrium import balance_equilibrium, balance_is_interior, balance_target

__all__ = [
    'BDCLLoss', 'BDCLStatistics', 'BDCLTerms', 'ClassCountLoss', 'DEFAULT_TDL_LR', 'GCLLoss',
    'GRADIENT_RULES', 'LDAMLoss', 'TDL_RULES', 'balance_equilibrium',
    'balance_error', 'balance_is_interior', 'balance_target', 'bdcl_loss', 'bdcl_loss_terms',
    'bdcl_statistics', 'effective_number_weights', 'gcl_loss', 'gcl_noise_scale', 'hep_update',
    'ldam_loss', 'ldam_margins', 'margin_cross_entropy', 'running_margin_update',
    'sample_gcl_noise', 'tdl_anchor_gradient', 'tdl_update'
]

__getattr__, __dir__ = lazy_exports(__name__, {
    'BDCLLoss': '.bdcl_loss',
    'DEFAULT_TDL_LR': '.bdcl_loss',
    'ClassCountLoss': '.margin_losses',
    'GCLLoss': '.margin_losses',
    'LDAMLoss': '.margin_losses',
})
