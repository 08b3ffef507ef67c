"""MMPretrain models of BDCL: multi-view classifier and pre-processor, stage-1 and cRT heads;
the cosine classifier of the LDAM-DRW and GCL rivals; the Balanced-MixUp batch augment and its
paired-batch pre-processor."""
from .balanced_mixup import BalancedMixUp
from .bdcl_cls_head import BDCLClsHead, projection_mlp
from .classifier import BDCLImageClassifier
from .cosine_cls_head import CosineClsHead
from .crt_cls_head import CRTClsHead
from .data_preprocessor import MultiViewClsDataPreprocessor, split_views
from .paired_batch_preprocessor import PairedBatchClsDataPreprocessor

__all__ = [
    'BDCLClsHead', 'BDCLImageClassifier', 'BalancedMixUp', 'CRTClsHead', 'CosineClsHead',
    'MultiViewClsDataPreprocessor', 'PairedBatchClsDataPreprocessor', 'projection_mlp',
    'split_views'
]
