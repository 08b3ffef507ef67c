"""bdcl_mm: Balanced and Discriminative Contrastive Learning (BDCL, ICASSP 2024) for OpenMMLab.

``import bdcl_mm`` registers the task-agnostic components into mmengine's root registries
(``BDCLLoss``, ``BDCLHook``, ``ClassBalancedSampler``) and installs the safe checkpoint loader.
Host-specific components register on ``import bdcl_mm.seg`` (MMSegmentation) and
``import bdcl_mm.cls`` (MMPretrain); neither host is imported here.
"""
from . import datasets, engine, evaluation, models
from .version import __version__, version_info

__all__ = ['__version__', 'version_info', 'datasets', 'engine', 'evaluation', 'models']
