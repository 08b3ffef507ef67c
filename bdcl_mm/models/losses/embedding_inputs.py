"""Argument checks shared by the contrastive losses that take embeddings (BDCL, TSC)."""
from typing import Optional

from torch import Tensor


def check_embedding_call(loss_type: str, features: Tensor, feat_dim: int, logit_loss_kwargs: dict,
                         **per_item: Optional[Tensor]) -> None:
    """Refuse a call as a loss of logits, features not ``(N, feat_dim)``, and a per-item tensor
    (labels, predictions, groups; None skips it) not ``(N,)``.

    Raises:
        TypeError: called with a logit loss's keyword arguments, saying where the loss goes.
        ValueError: a shape, naming the argument and the fix.
    """
    if logit_loss_kwargs:
        raise TypeError(
            f'{loss_type} was called as a loss of logits (with {sorted(logit_loss_kwargs)}), '
            f'e.g. from a decode head\'s loss_decode: it takes embeddings. In mmseg use '
            f"type='BDCLDecodeHead' (or 'BDCLOCRHead') with loss_contrast=dict(type="
            f"'{loss_type}'), in mmpretrain type='BDCLClsHead'")
    if features.dim() != 2 or features.shape[1] != feat_dim:
        raise ValueError(f'features must have shape (N, feat_dim={feat_dim}), got '
                         f'{tuple(features.shape)}; set feat_dim to the embedding size')
    for name, value in per_item.items():
        if value is not None and value.shape != features.shape[:1]:
            raise ValueError(f'{name} must have shape (N,) = ({features.shape[0]},), got '
                             f'{tuple(value.shape)}')
