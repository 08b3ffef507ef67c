"""``BalancedMixUp``: the Balanced-MixUp batch augment of mmpretrain (``BATCH_AUGMENTS``)."""
from typing import Tuple

import numpy as np
from mmpretrain.registry import BATCH_AUGMENTS
from torch import Tensor

from bdcl_mm.models.augments import balanced_mixup
from bdcl_mm.utils import check_number


@BATCH_AUGMENTS.register_module()
class BalancedMixUp:
    """Mix the class-balanced half of a paired batch into its instance half (Galdran et al.,
    MICCAI 2021): ``x = (1 - lam) x_inst + lam x_bal``, scores alike, ``lam ~ Beta(alpha, 1)``
    drawn once per batch (:mod:`bdcl_mm.models.augments.balanced_mixup`).

    Not mmpretrain's ``Mixup``, which mixes a batch with a permutation of itself with
    ``Beta(alpha, alpha)``. The batch must come from ``BalancedMixUpBatchSampler`` (``2B`` items,
    instance half first) and go through ``PairedBatchClsDataPreprocessor``, which keeps the
    ``B`` data samples that match the ``B`` mixed images::

        data_preprocessor = dict(
            type='PairedBatchClsDataPreprocessor',
            batch_augments=dict(augments=dict(type='BalancedMixUp', alpha=0.2)))

    ``lam`` comes from numpy's global generator, as in mmpretrain's ``Mixup`` (mmengine's
    ``randomness.seed`` seeds it).

    Args:
        alpha (float): First Beta parameter (> 0); ``E[lam] = alpha / (alpha + 1)``.
            Defaults to 0.2 (the paper sweeps 0.1-0.3).
    """

    def __init__(self, alpha: float = 0.2) -> None:
        self.alpha = check_number('alpha', alpha, minimum=0.0, include_minimum=False)

    def __call__(self, batch_inputs: Tensor, batch_score: Tensor) -> Tuple[Tensor, Tensor]:
        """Mix ``(2B, C, H, W)`` inputs and ``(2B, num_classes)`` scores into ``B`` of each."""
        lam = float(np.random.beta(self.alpha, 1.0))
        return balanced_mixup(batch_inputs, batch_score, lam)
