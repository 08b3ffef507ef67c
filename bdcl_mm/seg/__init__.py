"""MMSegmentation side of bdcl_mm: the only subpackage that imports mmseg.

``import bdcl_mm.seg`` (or ``custom_imports = dict(imports=['bdcl_mm.seg'])`` in a config) imports
:mod:`bdcl_mm.registration` first, which registers ``BDCLLoss``, ``BDCLHook`` and
``ClassBalancedSampler`` in mmengine's root registries and installs the safe checkpoint loader
(:mod:`bdcl_mm.engine.checkpoint` says what it changes), then registers ``BDCLDecodeHead`` and
``BDCLOCRHead`` (mmseg ``MODELS``), ``ThyroidUSDataset`` (mmseg ``DATASETS``) and
``SegNumClassesCheckHook`` (mmseg ``HOOKS``), and the decode loss ``SoftIoULoss`` (mmseg
``MODELS``). The synthetic generator is host-free:
:mod:`bdcl_mm.datasets.synthetic_us`.
"""
import bdcl_mm.registration  # noqa: F401  (root registrations, checkpoint policy)
from .bdcl_decode_head import bdcl_head_class, build_bdcl_decode_head
from .contrast_scope import SCOPES, gather_samples
from .label_grid import labels_to_grid
from .num_classes_check import (SegNumClassesCheckHook, check_config, check_num_classes,
                                compare_num_classes)
from .ocr_contrast_head import BDCLOCRHead
from .pixel_contrast import PixelContrastMixin
from .pixel_sampler import PixelSamples, sample_pixels, water_fill
from .soft_iou_loss import SoftIoULoss
from .thyroid_us_dataset import ThyroidUSDataset

__all__ = [
    'BDCLOCRHead', 'PixelContrastMixin', 'PixelSamples', 'SCOPES', 'SegNumClassesCheckHook',
    'ThyroidUSDataset', 'bdcl_head_class', 'build_bdcl_decode_head', 'check_config',
    'check_num_classes', 'compare_num_classes', 'gather_samples', 'labels_to_grid',
    'sample_pixels', 'water_fill'
]
__all__ += ['SoftIoULoss']
