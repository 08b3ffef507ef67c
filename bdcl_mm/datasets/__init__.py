"""Data utilities that need no host package, and the class-balanced sampler.

- :mod:`.converters`: ISIC 2019, Hyper-Kvasir and Fashion-MNIST-LT to mmpretrain annotation files,
  BUSI to the TUI segmentation layout;
- :mod:`.synthetic_us`: the procedural thyroid-ultrasound set in the TUI layout;
- :mod:`.samplers`: class-balanced sampling (``ClassBalancedSampler`` is imported on first access).

Importing this package, the converters or the generator imports neither mmengine nor a host.
"""
from bdcl_mm._lazy import lazy_exports
from .samplers import (build_class_indices, class_balanced_blocks, class_balanced_indices,
                       empty_classes, rank_stream)

__all__ = [
    'ClassBalancedSampler', 'build_class_indices', 'class_balanced_blocks',
    'class_balanced_indices', 'dataset_cat_ids', 'empty_classes', 'rank_stream'
]

__getattr__, __dir__ = lazy_exports(
    __name__, {
        'ClassBalancedSampler': '.samplers',
        'dataset_cat_ids': '.samplers'
    }, ('converters', 'synthetic_us'))
