"""``SoftIoULoss``: the soft Jaccard loss as an mmseg decode loss (``loss_decode``)."""
from typing import Optional

from mmseg.registry import MODELS
from torch import Tensor, nn

from bdcl_mm.models.losses.soft_iou_functional import DEFAULT_EPS, DEFAULT_SMOOTH, soft_iou_loss
from bdcl_mm.utils import check_number


@MODELS.register_module()
class SoftIoULoss(nn.Module):
    """SoftIoU (soft Jaccard) loss on the softmax of a decode head's logits.

    ``loss_weight * (1 - 1/C sum_{c present} (I_c + smooth) / max(U_c + smooth, eps))`` with the
    soft intersection ``I_c = sum p_c g_c`` and union ``U_c = sum (p_c + g_c - p_c g_c)`` over all
    labelled pixels of the batch; classes without a labelled pixel in the batch add 0 and the sum
    is divided by all ``C`` classes
    (:func:`bdcl_mm.models.losses.soft_iou_functional.soft_iou_loss`, which equals
    ``segmentation_models_pytorch``'s ``JaccardLoss('multiclass')``). It has mmseg's
    decode-loss interface, so it goes into a head's ``loss_decode`` alone or in a list beside
    ``CrossEntropyLoss``::

        loss_decode=[dict(type='CrossEntropyLoss', loss_weight=1.0),
                     dict(type='SoftIoULoss', loss_weight=1.0)]

    Args:
        smooth (float): Added to intersection and union. Defaults to 0.
        eps (float): Lower bound of the denominator (> 0). Defaults to 1e-7.
        loss_weight (float): Factor of the loss. Defaults to 1.0.
        loss_name (str): Name of the loss in the log; it must start with ``loss_`` so mmseg
            back-propagates it. Defaults to ``'loss_softiou'``.

    Raises:
        ValueError: On a negative ``smooth``, a non-positive ``eps`` or a ``loss_name`` without the
            ``loss_`` prefix.
    """

    def __init__(self,
                 smooth: float = DEFAULT_SMOOTH,
                 eps: float = DEFAULT_EPS,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_softiou') -> None:
        super().__init__()
        self.smooth = check_number('smooth', smooth, minimum=0.0)
        self.eps = check_number('eps', eps, minimum=0.0, include_minimum=False)
        self.loss_weight = check_number('loss_weight', loss_weight)
        if not isinstance(loss_name, str) or not loss_name.startswith('loss_'):
            raise ValueError(f"loss_name must start with 'loss_' (mmseg only back-propagates "
                             f"such entries), got {loss_name!r}; e.g. 'loss_softiou'.")
        self._loss_name = loss_name

    def forward(self,
                pred: Tensor,
                target: Tensor,
                weight: Optional[Tensor] = None,
                ignore_index: int = 255,
                **kwargs) -> Tensor:
        """The weighted loss of a batch.

        Args:
            pred (Tensor): Logits ``(N, C, H, W)``.
            target (Tensor): Labels ``(N, H, W)``.
            weight (Tensor, optional): Pixel weights ``(N, H, W)`` (mmseg's pixel samplers).
            ignore_index (int): Label left out. Defaults to 255 (mmseg passes the head's).
            **kwargs: mmseg's other loss arguments (``avg_factor``, ``reduction_override``);
                unused, since the loss is one set measure over the batch, not a mean of pixel
                losses.

        Returns:
            Tensor: Scalar float32 loss.
        """
        return self.loss_weight * soft_iou_loss(
            pred, target, ignore_index=ignore_index, weight=weight, smooth=self.smooth,
            eps=self.eps)

    @property
    def loss_name(self) -> str:
        """Key of the loss in mmseg's loss dict (``loss_`` prefix: it is back-propagated)."""
        return self._loss_name
