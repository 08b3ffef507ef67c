"""Balanced-MixUp (Galdran et al., "Balanced-MixUp for Highly Imbalanced Medical Image
Classification", MICCAI 2021; reference agaldran/balanced_mixup, ``train_lt_mxp.py``).

A training batch holds an instance-sampled half and a class-balanced half of equal size ``B``::

    x = (1 - lam) * x_inst + lam * x_bal,   y = (1 - lam) * y_inst + lam * y_bal,
    lam ~ Beta(alpha, 1)  (one draw per batch),   E[lam] = alpha / (alpha + 1)

so with a small ``alpha`` (0.2 by default; the paper sweeps 0.1-0.3) the instance images dominate
and the balanced images add a little of every class. The loss is cross-entropy against the soft
labels ``y``.
"""
from typing import Tuple

from torch import Tensor


def balanced_mixup(inputs: Tensor, scores: Tensor, lam: float) -> Tuple[Tensor, Tensor]:
    """Mix the class-balanced half of a paired batch into its instance half.

    Args:
        inputs (Tensor): ``(2B, ...)``: items ``[0, B)`` instance-sampled, ``[B, 2B)``
            class-balanced (item ``B + i`` is mixed into item ``i``).
        scores (Tensor): ``(2B, C)`` one-hot (or soft) labels in the same order.
        lam (float): Weight of the balanced half, in ``[0, 1]``.

    Returns:
        tuple[Tensor, Tensor]: Mixed inputs ``(B, ...)`` and soft labels ``(B, C)`` (float;
        the inputs keep a floating dtype, integer inputs become float32).

    Raises:
        ValueError: On an odd or empty batch, mismatched lengths or ``lam`` outside ``[0, 1]``.
    """
    if not 0.0 <= lam <= 1.0:
        raise ValueError(f'lam must lie in [0, 1], got {lam}.')
    total = inputs.shape[0]
    if total == 0 or total % 2 or scores.shape[0] != total or scores.dim() != 2:
        raise ValueError(
            f'Balanced-MixUp needs a paired batch of 2B items (B instance-sampled, then B '
            f'class-balanced) and (2B, C) scores; got {total} inputs and scores of shape '
            f'{tuple(scores.shape)}. Use the BalancedMixUpBatchSampler as the training '
            "dataloader's batch_sampler.")
    half = total // 2
    if not inputs.dtype.is_floating_point:
        inputs = inputs.float()
    scores = scores.float()
    mixed_inputs = (1.0 - lam) * inputs[:half] + lam * inputs[half:]
    mixed_scores = (1.0 - lam) * scores[:half] + lam * scores[half:]
    return mixed_inputs, mixed_scores
