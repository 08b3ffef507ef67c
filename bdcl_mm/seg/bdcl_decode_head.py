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
import inspect
from typing import Dict, Optional, Type, Union

from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.registry import MODELS
from mmseg.utils import ConfigType

from .host_heads import (HOST_HEADS, check_host_arguments, missing_host_type_message,
                         trained_by_decode_loss)
from .pixel_contrast import PixelContrastMixin

_CLASSES: Dict[type, type] = {}


def _host_class(host_type: Union[str, type]) -> Type[BaseDecodeHead]:
    host = MODELS.get(host_type) if isinstance(host_type, str) else host_type
    if host is None:
        raise ValueError(f'host_type={host_type!r} is not a registered mmseg model; give the type '
                         f'of the decode head the host config uses, e.g. \'FCNHead\', '
                         f'\'DepthwiseSeparableASPPHead\', \'SegformerHead\' or \'OCRHead\'')
    if not isinstance(host, type) or not issubclass(host, BaseDecodeHead):
        raise TypeError(f'host_type={host_type!r} is not an mmseg decode head (a BaseDecodeHead '
                        f'subclass); BDCLDecodeHead wraps the model\'s decode_head type')
    if issubclass(host, PixelContrastMixin):
        raise TypeError(f'host_type={host_type!r} already has the BDCL term; give its plain host '
                        f'head instead')
    if not trained_by_decode_loss(host):
        raise TypeError(
            f'host_type={host_type!r} has its own loss() (it does not train its logits with the '
            f'decode-head loss), so the BDCL term cannot be added to it. Tested hosts: '
            f'{", ".join(HOST_HEADS)} and, at decode_head[1] of a cascade, OCRHead')
    return host


def bdcl_head_class(host_type: Union[str, type]) -> type:
    """The class ``BDCL<host>`` (host head + :class:`PixelContrastMixin`), made once per host."""
    host = _host_class(host_type)
    if host in _CLASSES:
        return _CLASSES[host]

    def __init__(self,
                 proj_channels: int = 256,
                 proj_mid_channels: Optional[int] = None,
                 loss_contrast: ConfigType = dict(type='BDCLLoss', loss_weight=0.1),
                 contrast_warmup_iters: int = 0,
                 max_views: int = 100,
                 max_samples: Optional[int] = 1024,
                 scope: str = 'batch',
                 features: str = 'pre_logits',
                 **kwargs) -> None:
        check_host_arguments(host, kwargs)
        host.__init__(self, **kwargs)
        self.init_pixel_contrast(proj_channels, proj_mid_channels, loss_contrast,
                                 contrast_warmup_iters, max_views, max_samples, scope, features)

    name = f'BDCL{host.__name__}'
    doc = (f'``{host.__name__}`` trained with an extra BDCL pixel-contrast loss (ICASSP 2024); '
           f'see :class:`~bdcl_mm.seg.pixel_contrast.PixelContrastMixin`.')
    cls = type(name, (PixelContrastMixin, host), dict(__init__=__init__, __doc__=doc,
                                                       __module__=__name__, __qualname__=name))
    _CLASSES[host] = cls
    return cls


def _host_arguments(kwargs: dict) -> dict:
    """``kwargs`` less the BDCL head's own arguments."""
    own = inspect.signature(PixelContrastMixin.init_pixel_contrast).parameters
    return {k: v for k, v in kwargs.items() if k not in own}


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
        raise ValueError(missing_host_type_message(_host_arguments(kwargs)))
    return bdcl_head_class(host_type)(**kwargs)
