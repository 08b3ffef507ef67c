from .bdcl_loss import BDCLLoss
from .functional import (TDL_RULES, BDCLTerms, bdcl_loss, bdcl_loss_terms, bdcl_statistics,
                         hep_update, tdl_anchor_gradient, tdl_update)

__all__ = [
    'BDCLLoss', 'BDCLTerms', 'TDL_RULES', 'bdcl_loss', 'bdcl_loss_terms', 'bdcl_statistics',
    'hep_update', 'tdl_anchor_gradient', 'tdl_update'
]
