"""MMSegmentation side of bdcl_mm: the only subpackage that imports mmseg.

``import bdcl_mm.seg`` (or ``custom_imports = dict(imports=['bdcl_mm.seg'])`` in a config) imports
:mod:`bdcl_mm.registration` first, which registers the root components (losses, hooks and
samplers; listed there) and installs the safe checkpoint loader
(:mod:`bdcl_mm.engine.checkpoint` says what it changes), then registers ``BDCLDecodeHead``,
``BDCLOCRHead`` and ``CosineDecodeHead`` (the LDAM rival's cosine classifier; mmseg ``MODELS``),
``ThyroidUSDataset`` (mmseg ``DATASETS``) and ``SegNumClassesCheckHook`` (mmseg ``HOOKS``). The
synthetic generator is host-free: :mod:`bdcl_mm.datasets.synthetic_us`.
``SurfaceDistanceMetric`` (mmseg ``METRICS``) adds Dice, HD95 and ASSD to an evaluator. The
decode loss ``SoftIoULoss`` (the SoftIoU rival; mmseg ``MODELS``) goes into ``loss_decode``.
"""
import bdcl_mm.registration  # noqa: F401  (root registrations, checkpoint policy)
from .bdcl_decode_head import bdcl_head_class, build_bdcl_decode_head
from .contrast_scope import SCOPES, gather_samples
from .cosine_decode_head import CosineClassifierMixin, build_cosine_decode_head, cosine_head_class
from .head_factory import extended_head_class, host_head_class
from .host_heads import CASCADE_HOST_HEADS, HOST_HEADS, fill_host_type
from .host_heads import fill_host_type as complete_config  # what tools/train.py fills in
from .label_grid import labels_to_grid
from .num_classes_check import (SegNumClassesCheckHook, check_config, check_num_classes,
                                compare_num_classes)
from .ocr_contrast_head import BDCLOCRHead
from .pixel_contrast import PixelContrastMixin
from .pixel_sampler import PixelSamples, sample_pixels, water_fill
from .soft_iou_loss import SoftIoULoss
from .surface_distance_metric import ImageSurfaceRecord, SurfaceDistanceMetric
from .thyroid_us_dataset import ThyroidUSDataset

__all__ = [
    'BDCLOCRHead', 'PixelContrastMixin', 'PixelSamples', 'SCOPES', 'SegNumClassesCheckHook',
    'ThyroidUSDataset', 'bdcl_head_class', 'build_bdcl_decode_head', 'check_config',
    'check_num_classes', 'compare_num_classes', 'gather_samples', 'labels_to_grid',
    'sample_pixels', 'water_fill', 'ImageSurfaceRecord', 'SurfaceDistanceMetric',
    'CASCADE_HOST_HEADS', 'HOST_HEADS', 'complete_config', 'fill_host_type',
    'CosineClassifierMixin', 'build_cosine_decode_head', 'cosine_head_class',
    'extended_head_class', 'host_head_class', 'SoftIoULoss'
]
