"""Models: the BDCL loss (``BDCLLoss`` is imported on first access, see :mod:`.losses`)."""
from bdcl_mm._lazy import lazy_exports
from .losses import (TDL_RULES, BDCLTerms, bdcl_loss, bdcl_loss_terms, bdcl_statistics, hep_update,
                     tdl_anchor_gradient, tdl_update)

__all__ = [
    'BDCLLoss', 'BDCLTerms', 'TDL_RULES', 'bdcl_loss', 'bdcl_loss_terms', 'bdcl_statistics',
    'hep_update', 'tdl_anchor_gradient', 'tdl_update'
]

__getattr__, __dir__ = lazy_exports(__name__, {'BDCLLoss': '.losses'})
