"""``CosineClsHead``: cosine classifier (normalised features x normalised weights, no bias)."""
from typing import Optional, Tuple

import torch
from mmpretrain.models import ClsHead
from mmpretrain.models.heads.margin_head import NormProduct
from mmpretrain.registry import MODELS

from bdcl_mm.models.losses.margin_losses import ClassCountLoss
from bdcl_mm.models.unit_norm_init import unit_norm_rows_
from bdcl_mm.utils import check_positive_int


@MODELS.register_module()
class CosineClsHead(ClsHead):
    """Cosine classifier: ``logits_c = <h / |h|, w_c / |w_c|>`` in ``[-1, 1]``, ``(N, C)``.

    The classifier of LDAM (``NormedLinear`` in kaidic/LDAM-DRW) and GCL (Keke921/GCLLoss), built
    on mmpretrain's ``NormProduct`` (``bias=False``). The margin losses (``LDAMLoss``,
    ``GCLLoss``) scale the cosines by their ``s`` in training; ``forward``/``predict`` give the
    cosines themselves, so the predicted class is the same and ``pred_score`` is the softmax of
    the cosines. A class-count loss without ``num_classes`` gets the head's.

    The weight is ``fc.weight`` ``(C, in_channels)``: a GCL stage 2 with this head and
    ``load_from`` the stage-1 checkpoint starts from stage 1's classifier, as the reference does.

    Args:
        num_classes (int): C.
        in_channels (int): channels of the pooled feature.
        init_cfg (dict, optional): None (the default) keeps the reference's initialisation:
            ``uniform(-1, 1)`` rows rescaled to unit norm. The norm matters under SGD: the
            gradient of a normalised weight scales with ``1 / |w_c|``, so small rows (e.g.
            ``Normal(std=0.01)``) multiply the classifier's angular step size.
        **kwargs: ``loss``, ``topk``, ``cal_acc`` of :class:`mmpretrain.models.ClsHead`.
    """

    #: its logits are cosines (the class-count hooks check this for LDAM / GCL)
    cosine_logits = True

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 init_cfg: Optional[dict] = None,
                 **kwargs) -> None:
        super().__init__(init_cfg=init_cfg, **kwargs)
        self.num_classes = check_positive_int('num_classes', num_classes)
        self.in_channels = check_positive_int('in_channels', in_channels)
        self.fc = NormProduct(in_channels, num_classes, bias=False)
        unit_norm_rows_(self.fc.weight)
        if isinstance(self.loss_module, ClassCountLoss) and self.loss_module.num_classes is None:
            self.loss_module.num_classes = num_classes

    def forward(self, feats: Tuple[torch.Tensor]) -> torch.Tensor:
        """Cosine logits ``(N, C)`` of the pooled features ``(N, in_channels)``."""
        return self.fc(self.pre_logits(feats))
