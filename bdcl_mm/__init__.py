"""bdcl_mm: Balanced and Discriminative Contrastive Learning (BDCL) for OpenMMLab.

The method is that of "Balanced and Discriminative Contrastive Learning for Class-Imbalanced
Medical Images", IEEE International Conference on Acoustics, Speech and Signal Processing (ICASSP)
2024 (BibTeX: README.md, "Citation"): supervised contrastive learning with per-class temperatures
(TDL) and hard-example prototypes (HEP). The equations as implemented: docs/method.md.

``import bdcl_mm`` imports no host package (not even mmengine) and changes nothing process-wide;
its sub-packages are loaded on first access. What registers the components:

- ``import bdcl_mm.seg`` / ``custom_imports = dict(imports=['bdcl_mm.seg'])``: MMSegmentation side;
- ``import bdcl_mm.cls`` / ``custom_imports = dict(imports=['bdcl_mm.cls'])``: MMPretrain side;
- ``import bdcl_mm.registration``: only the task-agnostic components (``BDCLLoss``, ``BDCLHook``,
  ``ClassBalancedSampler``) in mmengine's root registries.

Each of them also installs the safe checkpoint loader (:mod:`bdcl_mm.engine.checkpoint`).
"""
from ._lazy import lazy_exports
from .version import __version__, version_info

__all__ = ['__version__', 'version_info']

__getattr__, __dir__ = lazy_exports(__name__, {},
                                    ('datasets', 'engine', 'evaluation', 'models', 'utils'))
