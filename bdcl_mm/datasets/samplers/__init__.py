"""Class-balanced sampling: pure maths and the registered ``ClassBalancedSampler``."""
from .class_balanced import (build_class_indices, class_balanced_blocks, class_balanced_indices,
                             empty_classes, rank_stream)
from .class_balanced_sampler import ClassBalancedSampler, dataset_cat_ids

__all__ = [
    'ClassBalancedSampler', 'build_class_indices', 'class_balanced_blocks',
    'class_balanced_indices', 'dataset_cat_ids', 'empty_classes', 'rank_stream'
]
