"""Stage-2 (cRT) linear classifier whose weights never collide with a stage-1 head."""
from typing import Optional, Tuple

import torch
import torch.nn as nn
from mmpretrain.models import ClsHead
from mmpretrain.registry import MODELS

from bdcl_mm.utils import check_positive_int


@MODELS.register_module()
class CRTClsHead(ClsHead):
    """Linear classifier for classifier re-training (cRT, Kang et al., ICLR 2020).

    The same computation as mmpretrain's ``LinearClsHead`` (``logits = fc(h)``), but the layer is
    named ``crt_fc``: stage 2 loads the stage-1 checkpoint with ``load_from`` (non-strict), and
    neither a BDCL stage-1 head (``head.classifier``) nor a CE stage-1 ``LinearClsHead``
    (``head.fc``) has keys that match ``head.crt_fc``. So only the backbone is restored and the
    classifier always starts from its fresh initialisation.

    Args:
        num_classes (int): Number of classes.
        in_channels (int): Channels of the pooled feature.
        init_cfg (dict, optional): Defaults to ``Normal(std=0.01)`` on the linear layer.
        **kwargs: ``loss``, ``topk``, ``cal_acc`` of :class:`mmpretrain.models.ClsHead`.
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 init_cfg: Optional[dict] = dict(type='Normal', layer='Linear', std=0.01),
                 **kwargs) -> None:
        super().__init__(init_cfg=init_cfg, **kwargs)
        check_positive_int('num_classes', num_classes)
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.crt_fc = nn.Linear(in_channels, num_classes)

    def forward(self, feats: Tuple[torch.Tensor]) -> torch.Tensor:
        """Logits ``(N, C)`` of the pooled features ``(N, in_channels)``."""
        return self.crt_fc(self.pre_logits(feats))
