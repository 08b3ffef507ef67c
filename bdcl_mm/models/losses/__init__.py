from .bdcl_loss import DEFAULT_TDL_LR, BDCLLoss
from .functional import (GRADIENT_RULES, TDL_RULES, BDCLTerms, balance_error, bdcl_loss,
                         bdcl_loss_terms, bdcl_statistics, hep_update, tdl_anchor_gradient,
                         tdl_update)
from .statistics import BDCLStatistics

__all__ = [
    'BDCLLoss', 'BDCLStatistics', 'BDCLTerms', 'DEFAULT_TDL_LR', 'GRADIENT_RULES', 'TDL_RULES',
    'balance_error', 'bdcl_loss', 'bdcl_loss_terms', 'bdcl_statistics', 'hep_update',
    'tdl_anchor_gradient', 'tdl_update'
]
