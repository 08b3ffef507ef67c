"""MMPretrain side of BDCL; ``import bdcl_mm.cls`` (or ``custom_imports``) registers it.

Registers into ``mmpretrain.registry``: ``BDCLImageClassifier``, ``MultiViewClsDataPreprocessor``,
``BDCLClsHead``, ``CRTClsHead``, ``CosineClsHead`` and, for Balanced-MixUp,
``PairedBatchClsDataPreprocessor`` (``MODELS``), ``BalancedMixUp`` (``BATCH_AUGMENTS``),
``ImbalanceMetric`` (``METRICS``) and ``BackboneLoadCheckHook`` (``HOOKS``, the cRT stage-2 guard).
Importing it imports :mod:`bdcl_mm.registration` first, which registers the root components
(losses, hooks and samplers; listed there) and installs the safe checkpoint loader
(:mod:`bdcl_mm.engine.checkpoint` says what it changes). The dataset converters are host-free:
:mod:`bdcl_mm.datasets.converters`. ``check_config`` is the pre-flight check that
``tools/train.py``/``tools/test.py`` run on mmpretrain configs.
"""
import bdcl_mm.registration  # noqa: F401  (root registrations, checkpoint policy)
from .backbone_check import BackboneLoadCheckHook, backbone_load  # noqa: F401  (in __all__)
from .config_checks import check_config  # noqa: F401  (in __all__)
from .evaluation import *  # noqa: F401,F403
from .evaluation import __all__ as _evaluation_all
from .models import *  # noqa: F401,F403
from .models import __all__ as _models_all

__all__ = ['BackboneLoadCheckHook', 'backbone_load', 'check_config'] + list(_evaluation_all) + list(
    _models_all)
