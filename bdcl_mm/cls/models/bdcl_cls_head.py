"""Stage-1 head of BDCL classification: projection MLP + BDCL loss + detached linear classifier.

BDCL is from "Balanced and Discriminative Contrastive Learning for Class-Imbalanced Medical
Images" (ICASSP 2024): stage 1 learns the representation with BDCL, stage 2 re-trains the
classifier (cRT, :class:`~bdcl_mm.cls.models.crt_cls_head.CRTClsHead`). The recipe:
docs/classification.md; the equations: docs/method.md.
"""
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.evaluation.metrics import Accuracy
from mmpretrain.models import ClsHead
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from bdcl_mm.utils import check_choice, check_positive_int

HARD_SOURCES = ('classifier', 'prototype')


def projection_mlp(in_channels: int, channels: Sequence[int]) -> nn.Sequential:
    """``Linear -> ReLU -> ... -> Linear`` through ``channels`` (the last is the output size)."""
    layers: List[nn.Module] = []
    for index, out_channels in enumerate(channels):
        if index:
            layers.append(nn.ReLU(inplace=True))
        layers.append(nn.Linear(in_channels, out_channels))
        in_channels = out_channels
    return nn.Sequential(*layers)


@MODELS.register_module()
class BDCLClsHead(ClsHead):
    """Stage-1 head of BDCL (Balanced and Discriminative Contrastive Learning, ICASSP 2024).

    On pooled features ``h`` of shape ``(V * B, in_channels)`` (``V`` views of ``B`` images,
    view-major, see :class:`BDCLImageClassifier`):

    - ``z = projector(h)``, a projection MLP ``in_channels -> ... -> proj_channels[-1]``
      (2048 -> 2048 -> 128 for ResNet-50); ``loss_contrast`` (``BDCLLoss``) is applied to
      ``z`` with the labels repeated per view, so the other view of an image is a positive
      (SupCon protocol);
    - ``logits = classifier(h.detach())``, a linear classifier trained with ``loss`` (CE) on
      detached features, so it does not shape the representation. Its argmax marks the hard
      examples (``preds != labels``) that feed BDCL's hard-example prototypes, and it gives
      the stage-1 validation score: ``forward``/``predict`` return its logits/scores.

    With ``hard_from='prototype'`` the predictions given to the loss are the nearest valid
    prototype (cosine) of the detached ``z`` instead (``None`` until a prototype exists);
    validation still uses the linear classifier.

    The classifier's weights are stored as ``head.classifier.*`` so that a stage-2 head
    (``CRTClsHead``, ``head.crt_fc.*``) never loads them.

    Args:
        num_classes (int): Number of classes ``C``.
        in_channels (int): Channels of the pooled feature.
        proj_channels (Sequence[int]): Hidden and output sizes of the projection MLP.
            Defaults to ``(2048, 128)``.
        loss_contrast (dict): Config of the contrastive loss; ``num_classes`` and
            ``feat_dim`` are filled in, and ``ignore_index`` defaults to None (classification
            labels are all valid, whatever their number). Defaults to ``dict(type='BDCLLoss')``;
            any contrastive loss of embeddings works (e.g. ``dict(type='TSCLoss')``).
        loss (dict): Config of the linear classifier's loss.
        hard_from (str): ``'classifier'`` or ``'prototype'``.
        topk (int | tuple[int]): Top-k of the training accuracy with ``cal_acc``.
        cal_acc (bool): Log the linear classifier's training accuracy.
        init_cfg (dict, optional): Defaults to ``Normal(std=0.01)`` on the classifier.
    """

    def __init__(
        self,
        num_classes: int,
        in_channels: int,
        proj_channels: Sequence[int] = (2048, 128),
        loss_contrast: dict = dict(type='BDCLLoss'),
        loss: dict = dict(type='CrossEntropyLoss', loss_weight=1.0),
        hard_from: str = 'classifier',
        topk: Tuple[int, ...] = (1, ),
        cal_acc: bool = False,
        init_cfg: Optional[dict] = dict(type='Normal', std=0.01, override=dict(name='classifier'))
    ) -> None:
        super().__init__(loss=loss, topk=topk, cal_acc=cal_acc, init_cfg=init_cfg)
        check_positive_int('num_classes', num_classes)
        if not proj_channels or min(proj_channels) < 1:
            raise ValueError(f'proj_channels must be a non-empty sequence of positive sizes, got '
                             f'{proj_channels!r}.')
        check_choice('hard_from', hard_from, HARD_SOURCES)
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.hard_from = hard_from
        self.projector = projection_mlp(in_channels, proj_channels)
        self.classifier = nn.Linear(in_channels, num_classes)
        self.loss_contrast = self._build_contrast(loss_contrast, num_classes, proj_channels[-1])
        if hard_from == 'prototype' and not hasattr(self.loss_contrast, 'prototype_valid'):
            raise ValueError(f"hard_from='prototype' needs a loss with prototypes (BDCLLoss), "
                             f'got {type(self.loss_contrast).__name__}; use '
                             f"hard_from='classifier'")

    @staticmethod
    def _build_contrast(cfg: dict, num_classes: int, feat_dim: int) -> nn.Module:
        if isinstance(cfg, nn.Module):
            return cfg
        cfg = dict(cfg)
        for key, value in (('num_classes', num_classes), ('feat_dim', feat_dim)):
            if cfg.setdefault(key, value) != value:
                raise ValueError(f'loss_contrast.{key}={cfg[key]} disagrees with the head '
                                 f'({value}); leave it out and the head fills it in.')
        cfg.setdefault('ignore_index', None)
        return MODELS.build(cfg)

    def forward(self, feats: Tuple[torch.Tensor]) -> torch.Tensor:
        """Linear-classifier logits ``(N, C)`` of the pooled features ``(N, in_channels)``."""
        return self.classifier(self.pre_logits(feats))

    def loss(self, feats: Tuple[torch.Tensor], data_samples: List[DataSample], **kwargs) -> dict:
        """BDCL loss of the projected views and CE of the detached linear classifier.

        Args:
            feats (tuple[Tensor]): Neck outputs; the last is ``(V * B, in_channels)``.
            data_samples (list[DataSample]): ``B`` samples with ``gt_label``.

        Returns:
            dict: ``{loss_contrast.loss_name: ..., 'loss_cls': ...}`` (+ training accuracy
            with ``cal_acc``).
        """
        pooled = self.pre_logits(feats)
        num_views, rest = divmod(pooled.size(0), len(data_samples))
        if rest or not num_views:
            raise ValueError(f'{pooled.size(0)} feature rows for {len(data_samples)} samples: '
                             'expected a whole number of views per sample.')
        if 'gt_label' not in data_samples[0]:
            raise ValueError('BDCLClsHead needs single-label gt_label in the data samples.')
        labels = torch.cat([sample.gt_label for sample in data_samples]).to(pooled.device)
        if labels.numel() != len(data_samples):
            raise ValueError('BDCLClsHead supports single-label data only (one gt_label each).')
        labels = labels.repeat(num_views)

        logits = self.classifier(pooled.detach())
        embeddings = self.projector(pooled)
        preds = self._hard_preds(logits, embeddings)
        losses = {
            self.loss_contrast.loss_name: self.loss_contrast(embeddings, labels, preds),
            'loss_cls': self.loss_module(logits, labels, avg_factor=logits.size(0), **kwargs),
        }
        if self.cal_acc:
            accuracy = Accuracy.calculate(logits.detach(), labels, topk=self.topk)
            losses.update({f'accuracy_top-{k}': a for k, a in zip(self.topk, accuracy)})
        return losses

    @torch.no_grad()
    def _hard_preds(self, logits: torch.Tensor, embeddings: torch.Tensor) -> Optional[torch.Tensor]:
        """Predicted classes ``(N,)`` that mark hard examples, or None (no prototype yet)."""
        if self.hard_from == 'classifier':
            return logits.argmax(dim=1)
        valid = self.loss_contrast.prototype_valid.bool()
        if not bool(valid.any()):
            return None
        prototypes = F.normalize(self.loss_contrast.prototypes.float(), dim=1)
        sims = F.normalize(embeddings.float(), dim=1) @ prototypes.t()
        sims[:, ~valid] = float('-inf')
        return sims.argmax(dim=1)
