"""Class-balanced sampling: pure maths, the registered ``ClassBalancedSampler`` and the
Balanced-MixUp pairing ``BalancedMixUpBatchSampler``.

``ClassBalancedSampler``, ``BalancedMixUpBatchSampler`` and ``dataset_cat_ids`` (mmengine) are
imported on first access.
"""
from bdcl_mm._lazy import lazy_exports
from .class_balanced import (build_class_indices, class_balanced_blocks, class_balanced_indices,
                             empty_classes, rank_stream)

__all__ = [
    'ClassBalancedSampler', 'build_class_indices', 'class_balanced_blocks',
    'class_balanced_indices', 'dataset_cat_ids', 'empty_classes', 'rank_stream',
    'BalancedMixUpBatchSampler'
]

__getattr__, __dir__ = lazy_exports(__name__, {
    'BalancedMixUpBatchSampler': '.balanced_mixup_batch_sampler',
    'ClassBalancedSampler': '.class_balanced_sampler',
    'dataset_cat_ids': '.class_balanced_sampler'
})
