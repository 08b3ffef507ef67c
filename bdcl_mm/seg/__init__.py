"""MMSegmentation side of bdcl_mm: the only subpackage that imports mmseg.

``import bdcl_mm.seg`` (or ``custom_imports = dict(imports=['bdcl_mm.seg'])`` in a config) imports
:mod:`bdcl_mm.registration` first, which registers ``BDCLLoss``, ``BDCLHook`` and
``ClassBalancedSampler`` in mmengine's root registries and installs the safe checkpoint loader
(:mod:`bdcl_mm.engine.checkpoint` says what it changes), then registers ``BDCLOCRHead`` (mmseg
``MODELS``), ``ThyroidUSDataset`` (mmseg ``DATASETS``) and ``SegNumClassesCheckHook`` (mmseg
``HOOKS``). The synthetic generator is host-free: :mod:`bdcl_mm.datasets.synthetic_us`.
"""
import bdcl_mm.registration  # noqa: F401  (root registrations, checkpoint policy)
from .num_classes_check import (SegNumClassesCheckHook, check_config, check_num_classes,
                                compare_num_classes)
from .ocr_contrast_head import BDCLOCRHead
from .pixel_sampler import PixelSamples, sample_pixels, water_fill
from .thyroid_us_dataset import ThyroidUSDataset

__all__ = [
    'BDCLOCRHead', 'PixelSamples', 'SegNumClassesCheckHook', 'ThyroidUSDataset', 'check_config',
    'check_num_classes', 'compare_num_classes', 'sample_pixels', 'water_fill'
]
