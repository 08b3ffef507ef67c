"""``BDCLOCRHead``: mmseg's OCR head plus a pixel-level BDCL term in its training loss."""
import copy
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmengine.logging import MessageHub
from mmseg.models.decode_heads import OCRHead
from mmseg.registry import MODELS
from mmseg.utils import ConfigType, SampleList
from torch import Tensor, nn

from .pixel_sampler import PixelSamples, sample_pixels


def _check_positive_int(name: str, value, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f'{name} must be a positive int{" or None" if allow_none else ""}, '
                         f'got {value!r}')


@MODELS.register_module()
class BDCLOCRHead(OCRHead):
    """OCR head (Yuan et al., ECCV 2020) trained with an extra BDCL pixel-contrast loss.

    ``forward`` / ``predict`` are those of :class:`mmseg.models.decode_heads.OCRHead`: with the same
    weights the logits are identical, and the projection below is never run at test time. In
    :meth:`loss` the backbone features the head receives, after its own ``input_transform``
    (``resize_concat`` of the HRNet levels: ``(B, 720, H/4, W/4)`` for W48), are computed once and
    used both by the OCR path and by the contrastive path:

    1. labels are resized (nearest) to the feature grid and the head's own argmax gives predictions;
    2. :func:`~bdcl_mm.seg.pixel_sampler.sample_pixels` draws, per image and class, up to
       ``max_views`` pixels (half mis-predicted, half correct), at most ``max_samples`` per batch;
    3. the sampled feature vectors go through the projection head
       ``1x1 conv - norm - act - 1x1 conv`` (``in_channels -> proj_mid_channels ->
       proj_channels``) and are L2-normalised. The projection is per pixel, so running it on the
       sampled pixels only is the same map as projecting the whole grid and sampling after (only
       the norm layer's batch statistics come from the sampled pixels), at a fraction of the cost;
    4. ``loss_contrast`` (``BDCLLoss``) gets ``(features (N, D), labels (N,), preds (N,))``, so its
       hard-example prototypes see the mis-predicted pixels; its value is added as
       ``loss_contrast.loss_name`` (``'loss_bdcl'``) next to the OCR head's own losses.

    Before ``contrast_warmup_iters`` (the iteration is read from mmengine's ``MessageHub``; 0 when
    no runner has set it) the term is a zero that still reaches every projection parameter, so
    distributed training sees no unused parameters.

    Args:
        ocr_channels (int): channels of the OCR object-context block (as ``OCRHead``).
        proj_channels (int): embedding size ``D`` of the projection. Defaults to 256.
        proj_mid_channels (int, optional): hidden channels of the projection; None uses the
            head's ``in_channels``. Defaults to None.
        loss_contrast (dict): config of the contrastive loss; ``num_classes``, ``feat_dim`` and
            ``ignore_index`` default to the head's ``num_classes``, ``proj_channels`` and
            ``ignore_index`` (a different value is an error). Defaults to
            ``dict(type='BDCLLoss', loss_weight=0.1)``.
        contrast_warmup_iters (int): iterations before the contrastive term switches on.
            Defaults to 0.
        max_views (int): most pixels sampled per image and class. Defaults to 100.
        max_samples (int, optional): most pixels sampled per batch; None for no cap.
            Defaults to 1024.
        **kwargs: the arguments of ``OCRHead`` / ``BaseCascadeDecodeHead``.
    """

    def __init__(self,
                 ocr_channels: int,
                 proj_channels: int = 256,
                 proj_mid_channels: Optional[int] = None,
                 loss_contrast: ConfigType = dict(type='BDCLLoss', loss_weight=0.1),
                 contrast_warmup_iters: int = 0,
                 max_views: int = 100,
                 max_samples: Optional[int] = 1024,
                 **kwargs) -> None:
        super().__init__(ocr_channels=ocr_channels, **kwargs)
        _check_positive_int('proj_channels', proj_channels)
        _check_positive_int('proj_mid_channels', proj_mid_channels, allow_none=True)
        _check_positive_int('max_views', max_views)
        _check_positive_int('max_samples', max_samples, allow_none=True)
        if (isinstance(contrast_warmup_iters, bool) or not isinstance(contrast_warmup_iters, int)
                or contrast_warmup_iters < 0):
            raise ValueError(f'contrast_warmup_iters must be a non-negative int, got '
                             f'{contrast_warmup_iters!r}')
        mid_channels = proj_mid_channels or self.in_channels
        self.projector = nn.Sequential(
            ConvModule(
                self.in_channels,
                mid_channels,
                1,
                conv_cfg=self.conv_cfg,
                norm_cfg=self.norm_cfg,
                act_cfg=self.act_cfg),
            nn.Conv2d(mid_channels, proj_channels, 1))
        self.proj_channels = proj_channels
        self.contrast_warmup_iters = contrast_warmup_iters
        self.max_views = max_views
        self.max_samples = max_samples
        self.loss_contrast = MODELS.build(self._contrast_cfg(loss_contrast))

    def _contrast_cfg(self, loss_contrast: ConfigType) -> dict:
        if not isinstance(loss_contrast, dict) or 'type' not in loss_contrast:
            raise ValueError(f"loss_contrast must be a config dict with a 'type', e.g. "
                             f"dict(type='BDCLLoss', loss_weight=0.1); got {loss_contrast!r}")
        cfg = copy.deepcopy(dict(loss_contrast))
        for key, value, source in (('num_classes', self.num_classes, 'num_classes'),
                                   ('feat_dim', self.proj_channels, 'proj_channels'),
                                   ('ignore_index', self.ignore_index, 'ignore_index')):
            given = cfg.setdefault(key, value)
            if given != value:
                raise ValueError(
                    f'BDCLOCRHead: loss_contrast.{key}={given!r} disagrees with the head\'s '
                    f'{source}={value!r}; leave loss_contrast.{key} unset (it defaults to the '
                    f'head\'s value) or make them equal')
        return cfg

    def _decode(self, x: Tensor, prev_output: Tensor) -> Tensor:
        """The OCR path from transformed inputs ``x (B, C_in, h, w)`` to logits ``(B, K, h, w)``."""
        feats = self.bottleneck(x)
        context = self.spatial_gather_module(feats, prev_output)
        object_context = self.object_context_block(feats, context)
        return self.cls_seg(object_context)

    def forward(self, inputs: List[Tensor], prev_output: Tensor) -> Tensor:
        """Segmentation logits, exactly as ``OCRHead.forward``."""
        return self._decode(self._transform_inputs(inputs), prev_output)

    def loss(self, inputs: Tuple[Tensor], prev_output: Tensor, batch_data_samples: SampleList,
             train_cfg: ConfigType) -> Dict[str, Tensor]:
        """The OCR head's losses plus ``loss_bdcl``; ``_transform_inputs`` runs once."""
        x = self._transform_inputs(inputs)
        seg_logits = self._decode(x, prev_output)
        losses = self.loss_by_feat(seg_logits, batch_data_samples)
        name = self.loss_contrast.loss_name
        if name in losses:
            raise ValueError(f'loss_contrast.loss_name={name!r} clashes with a loss of '
                             f'loss_decode; give it another name')
        losses[name] = self.loss_by_contrast(x, seg_logits, batch_data_samples)
        return losses

    def contrast_active(self) -> bool:
        """Whether the current iteration (``MessageHub`` info ``'iter'``) is past the warm-up."""
        iteration = MessageHub.get_current_instance().get_info('iter', 0)
        return int(iteration or 0) >= self.contrast_warmup_iters

    def predicted_classes(self, seg_logits: Tensor, size: Sequence[int]) -> Tensor:
        """``(B, h, w)`` int64 classes the head predicts on the feature grid (no gradient)."""
        with torch.no_grad():
            if seg_logits.shape[2:] != tuple(size):
                seg_logits = F.interpolate(
                    seg_logits, size=size, mode='bilinear', align_corners=self.align_corners)
            if self.out_channels == 1:
                return (seg_logits[:, 0].sigmoid() > self.threshold).long()
            return seg_logits.argmax(dim=1)

    def sample(self, x: Tensor, seg_logits: Tensor,
               batch_data_samples: SampleList) -> PixelSamples:
        """Labels on the feature grid, the head's predictions, and the sampled pixels."""
        size = x.shape[2:]
        labels = self._stack_batch_gt(batch_data_samples).to(x.device)
        labels = F.interpolate(labels.float(), size=size, mode='nearest')[:, 0].long()
        preds = self.predicted_classes(seg_logits, size)
        return sample_pixels(labels, preds, self.num_classes, self.max_views, self.max_samples,
                             self.ignore_index)

    def project(self, x: Tensor, index: Tensor) -> Tensor:
        """L2-normalised embeddings ``(N, D)`` of the pixels ``index (N,)`` (flat, image-major)."""
        pixels = x.shape[2] * x.shape[3]
        feats = x.flatten(2)[index // pixels, :, index % pixels]  # (N, C_in)
        embedded = self.projector(feats.t()[None, :, :, None])  # (1, D, N, 1)
        return F.normalize(embedded[0, :, :, 0].t(), dim=1)

    def loss_by_contrast(self, x: Tensor, seg_logits: Tensor,
                         batch_data_samples: SampleList) -> Tensor:
        """The weighted contrastive term (a graph-connected zero during the warm-up).

        Args:
            x (Tensor): ``(B, C_in, h, w)`` transformed backbone features.
            seg_logits (Tensor): ``(B, K, h', w')`` logits of this head.
            batch_data_samples (list[SegDataSample]): with ``gt_sem_seg``.

        Returns:
            Tensor: ``()`` loss.
        """
        if not self.contrast_active():
            return sum(p.sum() for p in self.projector.parameters()) * 0.0
        samples = self.sample(x, seg_logits, batch_data_samples)
        if samples.index.numel() < 2:
            # keep every rank's (Sync)BN and the autograd graph identical, contribute nothing
            spare = torch.arange(2, device=x.device)
            return self.project(x, spare).sum() * 0.0
        embedded = self.project(x, samples.index)
        return self.loss_contrast(embedded, samples.labels, samples.preds)
