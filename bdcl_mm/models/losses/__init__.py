"""BDCL maths (:mod:`.functional`, pure torch) and its registered module ``BDCLLoss``.

``BDCLLoss`` is imported on first access, so importing the maths does not import mmengine.
"""
from bdcl_mm._lazy import lazy_exports
from .functional import (TDL_RULES, BDCLTerms, bdcl_loss, bdcl_loss_terms, bdcl_statistics,
                         hep_update, tdl_anchor_gradient, tdl_update)

__all__ = [
    'BDCLLoss', 'BDCLTerms', 'TDL_RULES', 'bdcl_loss', 'bdcl_loss_terms', 'bdcl_statistics',
    'hep_update', 'tdl_anchor_gradient', 'tdl_update'
]

__getattr__, __dir__ = lazy_exports(__name__, {'BDCLLoss': '.bdcl_loss'})
