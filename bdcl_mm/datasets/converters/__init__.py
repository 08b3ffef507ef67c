"""Dataset converters: ISIC 2019, Hyper-Kvasir and Fashion-MNIST-LT to mmpretrain annotations;
BUSI to the TUI segmentation layout."""
from .busi import (BUSI_FOLDERS, BUSI_SEG_CLASSES, BusiSample, BusiSummary, convert_busi,
                   find_busi_root, read_busi_mask, scan_busi)
from .common import (ConversionError, atomic_output_dir, class_counts, count_table, place_images,
                     stratified_split, write_split)
from .fmnist_lt import (FASHION_MNIST_CLASSES, ORDERS, convert_fmnist_lt, find_fashion_mnist,
                        long_tail_counts, long_tail_indices, read_idx)
from .hyper_kvasir import (HYPER_KVASIR_CLASSES, HYPER_KVASIR_TREE, convert_hyper_kvasir,
                           scan_hyper_kvasir)
from .isic2019 import ISIC2019_CLASSES, convert_isic2019, read_isic_ground_truth

__all__ = [
    'BUSI_FOLDERS', 'BUSI_SEG_CLASSES', 'BusiSample', 'BusiSummary', 'convert_busi',
    'find_busi_root', 'read_busi_mask', 'scan_busi',
    'ConversionError', 'FASHION_MNIST_CLASSES', 'HYPER_KVASIR_CLASSES', 'HYPER_KVASIR_TREE',
    'ISIC2019_CLASSES', 'ORDERS', 'atomic_output_dir', 'class_counts', 'convert_fmnist_lt',
    'convert_hyper_kvasir', 'convert_isic2019', 'count_table', 'find_fashion_mnist',
    'long_tail_counts', 'long_tail_indices', 'place_images', 'read_idx', 'read_isic_ground_truth',
    'scan_hyper_kvasir', 'stratified_split', 'write_split'
]
