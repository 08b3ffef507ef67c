"""``BDCLDecodeHead``: any mmseg decode head with the BDCL pixel-contrast term in its training loss.

In a config the host head keeps every argument it has; only ``type`` changes and ``host_type``
names the host class (UNet, DeepLabV3+, SegFormer, ...)::

    model = dict(decode_head=dict(
        type='BDCLDecodeHead', host_type='FCNHead',
        loss_contrast=dict(type='BDCLLoss', loss_weight=0.1)))

The built module is an instance of ``BDCL<host>``, a subclass of the host head and of
:class:`~bdcl_mm.seg.pixel_contrast.PixelContrastMixin`, so its state dict holds the host's keys
plus ``projector.*`` and ``loss_contrast.*``, and a host checkpoint loads into it.

BDCL is from "Balanced and Discriminative Contrastive Learning for Class-Imbalanced Medical
Images" (ICASSP 2024); the paper applies it to HRNetV2-W48 + OCR (:class:`BDCLOCRHead`), this head
to any decode head. Usage: README.md, "Add BDCL to your model"; options: docs/segmentation.md.
"""
from typing import Union

from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.registry import MODELS

from .head_factory import extended_head_class, own_arguments
from .host_heads import missing_host_type_message
from .pixel_contrast import PixelContrastMixin


def bdcl_head_class(host_type: Union[str, type]) -> type:
    """The class ``BDCL<host>`` (host head + :class:`PixelContrastMixin`), made once per host.

    Its arguments are the host's plus those of :meth:`PixelContrastMixin.init_pixel_contrast`
    (:func:`~bdcl_mm.seg.head_factory.extended_head_class`).
    """
    return extended_head_class(host_type, PixelContrastMixin, 'BDCL', 'init_pixel_contrast',
                               'the BDCL term', 'BDCLDecodeHead', module=__name__)


@MODELS.register_module(name='BDCLDecodeHead')
def build_bdcl_decode_head(host_type: Union[str, type, None] = None, **kwargs) -> BaseDecodeHead:
    """Build the host decode head ``host_type`` with the BDCL pixel-contrast term.

    Args:
        host_type (str | type, optional): the host head (a registered mmseg decode head or its
            class): the type of the decode head the config replaces. Required; tools/train.py and
            tools/test.py set it from the config's ``_base_`` files when it is missing
            (:func:`~bdcl_mm.seg.host_heads.fill_host_type`).
        **kwargs: the host head's arguments, plus those of
            :meth:`PixelContrastMixin.init_pixel_contrast`: ``proj_channels``,
            ``proj_mid_channels``, ``loss_contrast``, ``contrast_warmup_iters``, ``max_views``,
            ``max_samples``, ``scope`` (``'image'``, ``'batch'`` or ``'global'``) and
            ``features`` (``'pre_logits'``, the input of the host's classifier, or ``'inputs'``,
            the backbone features the head receives).

    Returns:
        BaseDecodeHead: an instance of ``BDCL<host>``.

    Raises:
        ValueError: ``host_type`` is missing, or its head does not take the given arguments (the
            message names the registered heads that do).
    """
    if host_type is None:
        own = own_arguments(PixelContrastMixin, 'init_pixel_contrast')
        raise ValueError(
            missing_host_type_message({k: v for k, v in kwargs.items() if k not in own}))
    return bdcl_head_class(host_type)(**kwargs)
