"""``PixelContrastMixin``: BDCL pixel contrast in the training loss of any mmseg head.

BDCL is from "Balanced and Discriminative Contrastive Learning for Class-Imbalanced Medical
Images" (ICASSP 2024), which contrasts the pixels of each image (``scope='image'``); the sampling
and scopes are described in docs/method.md and docs/contrast_scope.md.

Mixed in before an mmseg ``BaseDecodeHead`` (or ``BaseCascadeDecodeHead``) subclass, it adds a
projection head (``projector``), a contrastive loss (``loss_contrast``, ``BDCLLoss`` by default)
and one path shared by every host head:

1. in :meth:`loss`, the host's own ``forward`` runs once while the contrast features are recorded:
   ``'pre_logits'``, the input of the host's ``cls_seg`` (before dropout), or ``'inputs'``, the
   output of its ``_transform_inputs`` (the backbone features the head receives);
2. labels go to the feature grid by each cell's majority label
   (:func:`~bdcl_mm.seg.label_grid.labels_to_grid`) and the host's own logits, resized to the
   grid, give the predictions (the hard examples are the mis-predicted pixels);
3. :func:`~bdcl_mm.seg.pixel_sampler.sample_pixels` draws, per image and class, up to
   ``max_views`` pixels (half hard, half easy), at most ``max_samples`` per batch;
4. the sampled feature vectors go through ``projector`` (``1x1 conv - norm - act - 1x1 conv``)
   and are L2-normalised. The projection is per pixel, so projecting the sampled pixels only is
   the map of the whole grid sampled after (only the norm layer's batch statistics come from the
   sampled pixels);
5. ``loss_contrast`` gets ``(features (N, D), labels (N,), preds (N,))`` within the contrast
   ``scope`` (:mod:`~bdcl_mm.seg.contrast_scope`) and its value is added to the host's losses as
   ``loss_contrast.loss_name`` (``'loss_bdcl'``).

``forward`` and ``predict`` are the host's: with the same weights the logits are identical and the
projection never runs at test time. Before ``contrast_warmup_iters`` (the iteration comes from
mmengine's ``MessageHub``) the term is a zero that still reaches every projection parameter, so
distributed training sees no unused parameters.

Two states are logged once per head through mmengine's current ``MMLogger``: while the warm-up
runs, that ``loss_bdcl`` is 0 until the term starts (and at which iteration it does), then the
iteration it starts; and ``scope='global'`` in a single process, which contrasts the batch as
``'batch'`` does.
"""
import copy
from contextlib import contextmanager
from typing import Dict, Iterator, List, Optional, Sequence, Union

import torch
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmengine.logging import MessageHub, MMLogger
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.registry import MODELS
from mmseg.utils import ConfigType, SampleList
from torch import Tensor, nn

from bdcl_mm.utils import check_choice, check_non_negative_int, check_positive_int
from .contrast_scope import (SCOPES, gather_samples, rank_budget, statistics_from_this_rank,
                             world)
from .label_grid import labels_to_grid
from .model_checks import check_head_inputs
from .pixel_sampler import PixelSamples, sample_pixels

FEATURES = ('pre_logits', 'inputs')


def is_cascade_head(head: nn.Module) -> bool:
    """Whether ``head`` is an mmseg cascade head (its forward takes the previous head's logits)."""
    from mmseg.models.decode_heads.cascade_decode_head import BaseCascadeDecodeHead
    return isinstance(head, BaseCascadeDecodeHead)


class PixelContrastMixin:
    """BDCL pixel contrast for an mmseg decode head; mix in before the host head class.

    The host's ``__init__`` runs first, then :meth:`init_pixel_contrast`. The recorded features
    have ``C_f`` channels: the host's ``channels`` for ``'pre_logits'``, its ``in_channels``
    (summed for ``resize_concat``) for ``'inputs'``.
    """

    _recorded: Optional[List[Tensor]] = None
    _RECORDED_BY = {'pre_logits': 'cls_seg()', 'inputs': '_transform_inputs()'}

    def init_pixel_contrast(self,
                            proj_channels: int = 256,
                            proj_mid_channels: Optional[int] = None,
                            loss_contrast: ConfigType = dict(type='BDCLLoss', loss_weight=0.1),
                            contrast_warmup_iters: int = 0,
                            max_views: int = 100,
                            max_samples: Optional[int] = 1024,
                            scope: str = 'batch',
                            features: str = 'pre_logits') -> None:
        """Build the projection and the contrastive loss; check the settings.

        Args:
            proj_channels (int): embedding size ``D``. Defaults to 256.
            proj_mid_channels (int, optional): hidden channels of the projection; None uses
                ``C_f``. Defaults to None.
            loss_contrast (dict): config of the contrastive loss; ``num_classes``, ``feat_dim``
                and ``ignore_index`` default to the head's ``num_classes``, ``proj_channels`` and
                ``ignore_index`` (a different value is an error). Defaults to
                ``dict(type='BDCLLoss', loss_weight=0.1)``.
            contrast_warmup_iters (int): iterations before the term switches on. Defaults to 0.
            max_views (int): most pixels per image and class. Defaults to 100.
            max_samples (int, optional): most pixels per batch (per global batch for
                ``'global'``); None for no cap. Defaults to 1024.
            scope (str): ``'image'`` (the paper's per-image contrast), ``'batch'`` or
                ``'global'``. Defaults to ``'batch'``.
            features (str): ``'pre_logits'`` or ``'inputs'``. Defaults to ``'pre_logits'``.
        """
        if not isinstance(self, BaseDecodeHead):
            raise TypeError(f'{type(self).__name__}: PixelContrastMixin needs an mmseg '
                            f'BaseDecodeHead subclass after it in the class bases')
        check_positive_int('proj_channels', proj_channels)
        check_positive_int('proj_mid_channels', proj_mid_channels, allow_none=True)
        check_positive_int('max_views', max_views)
        check_positive_int('max_samples', max_samples, allow_none=True)
        check_non_negative_int('contrast_warmup_iters', contrast_warmup_iters)
        check_choice('scope', scope, SCOPES)
        check_choice('features', features, FEATURES)
        self.contrast_features = features
        self.contrast_in_channels = self._contrast_feature_channels()
        mid_channels = proj_mid_channels or self.contrast_in_channels
        self.projector = nn.Sequential(
            ConvModule(
                self.contrast_in_channels,
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
        self.contrast_scope = scope
        self.loss_contrast = MODELS.build(self._contrast_cfg(loss_contrast))

    def _contrast_feature_channels(self) -> int:
        if self.contrast_features == 'pre_logits':
            return self.conv_seg.in_channels
        if isinstance(self.in_channels, (list, tuple)):  # 'multiple_select': several maps
            raise ValueError(f"{type(self).__name__}: features='inputs' needs one feature map, "
                             f"but input_transform={self.input_transform!r} gives "
                             f"{len(self.in_channels)}; use features='pre_logits'")
        return self.in_channels  # summed over the levels for 'resize_concat'

    def _contrast_cfg(self, loss_contrast: ConfigType) -> dict:
        name = type(self).__name__
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
                    f'{name}: loss_contrast.{key}={given!r} disagrees with the head\'s '
                    f'{source}={value!r}; leave loss_contrast.{key} unset (it defaults to the '
                    f'head\'s value) or make them equal')
        return cfg

    # --- recording the host's features during its own forward --------------------------------

    @contextmanager
    def _recording(self) -> Iterator[List[Tensor]]:
        self._recorded = []
        try:
            yield self._recorded
        finally:
            self._recorded = None

    def _transform_inputs(self, inputs: List[Tensor]) -> Union[Tensor, List[Tensor]]:
        """The host's ``_transform_inputs``; recorded in :meth:`loss` for ``'inputs'``."""
        x = super()._transform_inputs(inputs)
        if self._recorded is not None and self.contrast_features == 'inputs':
            self._recorded.append(x)
        return x

    def cls_seg(self, feat: Tensor) -> Tensor:
        """The host's ``cls_seg``; its input is recorded in :meth:`loss` for ``'pre_logits'``."""
        if self._recorded is not None and self.contrast_features == 'pre_logits':
            self._recorded.append(feat)
        return super().cls_seg(feat)

    # --- training loss ------------------------------------------------------------------------

    def loss(self, inputs: List[Tensor], *args) -> Dict[str, Tensor]:
        """The host head's losses plus ``loss_contrast.loss_name``; the host forward runs once.

        Args:
            inputs (list[Tensor]): backbone features.
            *args: ``(batch_data_samples, train_cfg)`` for a head of an ``EncoderDecoder``;
                ``(prev_output, batch_data_samples, train_cfg)`` for a cascade head.

        Returns:
            dict[str, Tensor]: the losses.
        """
        name = type(self).__name__
        if is_cascade_head(self):
            if not args or not isinstance(args[0], Tensor):
                raise TypeError(
                    f'{name} is a cascade head: its loss needs the previous head\'s logits, so it '
                    f'belongs at decode_head[1] of a CascadeEncoderDecoder (after an FCNHead, as '
                    f'in configs/bdcl/hrnet_ocr_tui.py). For an EncoderDecoder (UNet, '
                    f'DeepLabV3+, SegFormer) use type=\'BDCLDecodeHead\' with host_type set to '
                    f'the model\'s decode head')
            prev_output, batch_data_samples = args[0], args[1]
            forward_args = (prev_output, )
        else:
            if not args or isinstance(args[0], Tensor):
                raise TypeError(
                    f'{name} is not a cascade head, but it was called with the previous head\'s '
                    f'logits: in a CascadeEncoderDecoder every decode_head after the first must '
                    f'be a cascade head (e.g. host_type=\'OCRHead\')')
            batch_data_samples, forward_args = args[0], ()
        check_head_inputs(name, self, inputs)
        with self._recording() as recorded:
            seg_logits = self.forward(inputs, *forward_args)
        if not recorded:
            raise TypeError(f'{name}: the host forward never passed its {self.contrast_features!r} '
                            f'features through {self._RECORDED_BY[self.contrast_features]}, so '
                            f'this head cannot be given a BDCL term')
        losses = self.loss_by_feat(seg_logits, batch_data_samples)
        key = self.loss_contrast.loss_name
        if key in losses:
            raise ValueError(f'loss_contrast.loss_name={key!r} clashes with a loss of '
                             f'loss_decode; give it another name')
        losses[key] = self.loss_by_contrast(recorded[-1], seg_logits, batch_data_samples)
        return losses

    def contrast_active(self) -> bool:
        """Whether the current iteration (``MessageHub`` info ``'iter'``) is past the warm-up."""
        iteration = MessageHub.get_current_instance().get_info('iter', 0)
        return int(iteration or 0) >= self.contrast_warmup_iters

    def _log_once(self, key: str, message: str) -> None:
        """Log ``message`` with mmengine's current logger the first time ``key`` is given."""
        logged = self.__dict__.setdefault('_logged_states', set())
        if key not in logged:
            logged.add(key)
            MMLogger.get_current_instance().info(f'{type(self).__name__}: {message}')

    def _log_contrast_state(self, active: bool) -> None:
        """Say once that the warm-up holds ``loss_bdcl`` at 0, and once when the term starts."""
        key, start = self.loss_contrast.loss_name, self.contrast_warmup_iters + 1
        if not active:
            self._log_once('warmup', f'{key} is 0 during the contrast warm-up '
                           f'(contrast_warmup_iters={self.contrast_warmup_iters}): the BDCL term '
                           f'is off until iteration {start}, so the logged {key} is not the '
                           f'BDCL loss before then')
            return
        iteration = int(MessageHub.get_current_instance().get_info('iter', 0) or 0) + 1
        self._log_once('active', f'the BDCL contrast term is on from iteration {iteration} '
                       f'(contrast_warmup_iters={self.contrast_warmup_iters}); {key} is the '
                       f'weighted BDCL loss from here on')
        if self.contrast_scope == 'global' and world()[1] == 1:
            self._log_once('global', "scope='global' in a single process: there is no other "
                           "rank to gather from, so each batch is contrasted as with "
                           "scope='batch'")

    def predicted_classes(self, seg_logits: Tensor, size: Sequence[int]) -> Tensor:
        """``(B, h, w)`` int64 classes the head predicts on the feature grid (no gradient)."""
        with torch.no_grad():
            if seg_logits.shape[2:] != tuple(size):
                seg_logits = F.interpolate(
                    seg_logits, size=size, mode='bilinear', align_corners=self.align_corners)
            if self.out_channels == 1:
                return (seg_logits[:, 0].sigmoid() > self.threshold).long()
            return seg_logits.argmax(dim=1)

    def grid_labels(self, batch_data_samples: SampleList, size: Sequence[int]) -> Tensor:
        """``(B, h, w)`` int64 ground truth on the feature grid (each cell's majority label)."""
        labels = self._stack_batch_gt(batch_data_samples)
        return labels_to_grid(labels, size, self.num_classes, self.ignore_index)

    def sample(self, x: Tensor, seg_logits: Tensor,
               batch_data_samples: SampleList) -> PixelSamples:
        """Labels on the feature grid, the head's predictions, and the sampled pixels."""
        size = x.shape[2:]
        labels = self.grid_labels(batch_data_samples, size).to(x.device)
        preds = self.predicted_classes(seg_logits, size)
        return sample_pixels(labels, preds, self.num_classes, self.max_views,
                             rank_budget(self.max_samples, self.contrast_scope), self.ignore_index)

    def project(self, x: Tensor, index: Tensor) -> Tensor:
        """L2-normalised embeddings ``(N, D)`` of the pixels ``index (N,)`` (flat, image-major)."""
        pixels = x.shape[2] * x.shape[3]
        feats = x.flatten(2)[index // pixels, :, index % pixels]  # (N, C_f)
        embedded = self.projector(feats.t()[None, :, :, None])  # (1, D, N, 1)
        return F.normalize(embedded[0, :, :, 0].t(), dim=1)

    def loss_by_contrast(self, x: Tensor, seg_logits: Tensor,
                         batch_data_samples: SampleList) -> Tensor:
        """The weighted contrastive term (a graph-connected zero during the warm-up).

        Args:
            x (Tensor): ``(B, C_f, h, w)`` contrast features.
            seg_logits (Tensor): ``(B, K, h', w')`` logits of this head.
            batch_data_samples (list[SegDataSample]): with ``gt_sem_seg``.

        Returns:
            Tensor: ``()`` loss.
        """
        if x.dim() != 4 or x.shape[1] != self.contrast_in_channels:
            raise ValueError(f'{type(self).__name__}: the {self.contrast_features!r} features '
                             f'have shape {tuple(x.shape)}, the projection expects (B, '
                             f'{self.contrast_in_channels}, h, w)')
        active = self.contrast_active()
        self._log_contrast_state(active)
        if not active:
            return sum(p.sum() for p in self.projector.parameters()) * 0.0
        samples = self.sample(x, seg_logits, batch_data_samples)
        labels, preds = samples.labels, samples.preds
        if samples.index.numel() < 2:
            # keep every rank's (Sync)BN and the autograd graph identical, contribute nothing
            spare = self.project(x, torch.arange(2, device=x.device))
            if self.contrast_scope != 'global':
                return spare.sum() * 0.0
            embedded, labels, preds = spare[:0], labels[:0], preds[:0]
        else:
            embedded = self.project(x, samples.index)
        if self.contrast_scope == 'global':
            embedded, labels, preds = gather_samples(embedded, labels, preds)
            if labels.numel() == 0:
                return embedded.sum() * 0.0
        with statistics_from_this_rank(self.loss_contrast, self.contrast_scope):
            if self.contrast_scope == 'image':
                pixels = x.shape[2] * x.shape[3]
                return self.loss_contrast(embedded, labels, preds, groups=samples.index // pixels)
            return self.loss_contrast(embedded, labels, preds)
