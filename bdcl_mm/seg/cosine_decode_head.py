"""``CosineDecodeHead``: any mmseg decode head with a normalised 1x1 classifier (cosine logits).

The per-pixel form of LDAM's cosine classifier (Cao et al., NeurIPS 2019, ``NormedLinear``): the
host's ``conv_seg`` becomes a bias-free 1x1 convolution and its logits are
``<f / |f|, w_c / |w_c|>`` per pixel, in ``[-1, 1]``. In a config only ``type`` changes and
``host_type`` names the host head; ``loss_decode`` is then ``LDAMLoss``::

    model = dict(decode_head=dict(
        type='CosineDecodeHead', host_type='FCNHead', ...,   # the host head's arguments
        loss_decode=dict(type='LDAMLoss', max_m=0.5, s=30)))
    custom_hooks = [dict(type='DRWHook')]                  # pixel counts, DRW

The built module is an instance of ``Cosine<host>``; its state dict is the host's without
``conv_seg.bias``, so a host checkpoint loads into it (non-strict).
"""
from typing import Union

import torch.nn.functional as F
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.registry import MODELS
from torch import Tensor, nn

from bdcl_mm.models.losses.margin_losses import ClassCountLoss
from bdcl_mm.models.unit_norm_init import unit_norm_rows_
from .head_factory import extended_head_class
from .host_heads import missing_host_type_message

__all__ = ['CosineClassifierMixin', 'build_cosine_decode_head', 'cosine_head_class']


class CosineClassifierMixin:
    """Replaces a decode head's ``cls_seg`` by a cosine 1x1 classifier.

    ``cls_seg(feat)``: dropout as the host, then ``conv2d(normalize(feat), normalize(w))`` with
    ``w`` the bias-free ``conv_seg.weight`` ``(C, C_f, 1, 1)``; ``(B, C_f, H, W)`` ->
    ``(B, C, H, W)``. Class-count losses in ``loss_decode`` without ``num_classes`` get the head's.
    """

    #: its logits are cosines (the class-count hooks check this for LDAM / GCL)
    cosine_logits = True

    def init_cosine_classifier(self) -> None:
        """Make ``conv_seg`` bias-free with unit-norm random rows; check the head predicts one
        channel per class."""
        if not isinstance(self, BaseDecodeHead):
            raise TypeError(f'{type(self).__name__}: CosineClassifierMixin needs an mmseg '
                            f'BaseDecodeHead subclass after it in the class bases')
        if self.out_channels != self.num_classes:
            raise ValueError(f'{type(self).__name__}: a cosine classifier needs one output '
                             f'channel per class (softmax), but out_channels='
                             f'{self.out_channels} for num_classes={self.num_classes}; drop '
                             f'out_channels / use_sigmoid')
        conv = self.conv_seg
        self.conv_seg = nn.Conv2d(conv.in_channels, conv.out_channels, 1, bias=False)
        # here as well as in init_weights: mmseg's CascadeEncoderDecoder keeps its heads in an
        # nn.ModuleList, which mmengine's init_weights does not descend into
        unit_norm_rows_(self.conv_seg.weight)
        losses = self.loss_decode if isinstance(self.loss_decode,
                                                nn.ModuleList) else [self.loss_decode]
        for loss in losses:
            if isinstance(loss, ClassCountLoss) and loss.num_classes is None:
                loss.num_classes = self.num_classes

    def init_weights(self) -> None:
        """The host's initialisation, then ``conv_seg.weight`` as unit-norm random rows.

        The reference's ``NormedLinear`` start
        (:func:`~bdcl_mm.models.unit_norm_init.unit_norm_rows_`) in place of mmseg's
        ``Normal(std=0.01)`` on ``conv_seg``: the gradient of a normalised weight scales with
        ``1 / |w_c|``, so small rows multiply the classifier's angular step size. A checkpoint
        (``load_from``, ``resume``) is loaded after this.
        """
        super().init_weights()
        unit_norm_rows_(self.conv_seg.weight)

    def cls_seg(self, feat: Tensor) -> Tensor:
        """Cosine logits ``(B, C, H, W)`` of the features ``(B, C_f, H, W)``."""
        if self.dropout is not None:
            feat = self.dropout(feat)
        weight = F.normalize(self.conv_seg.weight, dim=1)
        return F.conv2d(F.normalize(feat, dim=1), weight)


def cosine_head_class(host_type: Union[str, type]) -> type:
    """The class ``Cosine<host>`` (host head + :class:`CosineClassifierMixin`), once per host."""
    return extended_head_class(host_type, CosineClassifierMixin, 'Cosine',
                               'init_cosine_classifier', 'a cosine classifier',
                               'CosineDecodeHead', module=__name__)


@MODELS.register_module(name='CosineDecodeHead')
def build_cosine_decode_head(host_type: Union[str, type, None] = None,
                             **kwargs) -> BaseDecodeHead:
    """Build the host decode head ``host_type`` with a cosine 1x1 classifier.

    Args:
        host_type (str | type, optional): the host head (a registered mmseg decode head or its
            class), e.g. ``'FCNHead'``, ``'DepthwiseSeparableASPPHead'``, ``'SegformerHead'``,
            ``'OCRHead'``: the type of the decode head the config replaces. Required;
            tools/train.py and tools/test.py set it from the config's ``_base_`` files when it is
            missing (:func:`~bdcl_mm.seg.host_heads.fill_host_type`).
        **kwargs: the host head's arguments.

    Returns:
        BaseDecodeHead: an instance of ``Cosine<host>``.

    Raises:
        ValueError: ``host_type`` is missing, or its head does not take the given arguments (the
            message names the registered heads that do).
    """
    if host_type is None:
        raise ValueError(missing_host_type_message(kwargs, 'CosineDecodeHead'))
    return cosine_head_class(host_type)(**kwargs)
