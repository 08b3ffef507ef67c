"""The initialisation of a cosine classifier's weight: random directions of unit norm."""
import torch
from torch import Tensor

__all__ = ['unit_norm_rows_']


@torch.no_grad()
def unit_norm_rows_(weight: Tensor) -> Tensor:
    """Fill ``weight`` ``(C, ...)`` in place with ``uniform(-1, 1)`` rows rescaled to unit norm.

    The initialisation of ``NormedLinear`` in kaidic/LDAM-DRW (``uniform_(-1, 1).renorm_(2, 1,
    1e-5).mul_(1e5)``), row ``c`` being class ``c``'s weight ``w_c`` over all trailing dims.

    Returns:
        Tensor: ``weight``.
    """
    weight.uniform_(-1.0, 1.0)
    norms = weight.flatten(1).norm(dim=1).clamp_min(1e-12)
    weight.div_(norms.view((-1, ) + (1, ) * (weight.dim() - 1)))
    return weight
