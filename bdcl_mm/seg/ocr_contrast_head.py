"""``BDCLOCRHead``: mmseg's OCR head plus a pixel-level BDCL term in its training loss.

The segmentation model of "Balanced and Discriminative Contrastive Learning for Class-Imbalanced
Medical Images" (ICASSP 2024): HRNetV2-W48 + OCR with pixel-to-pixel contrast. Shipped as
configs/bdcl/bdcl_ocrnet_hr48_80k_tui-512x512.py; options: docs/segmentation.md.
"""
from typing import Optional

from mmseg.models.decode_heads import OCRHead
from mmseg.registry import MODELS
from mmseg.utils import ConfigType

from .pixel_contrast import PixelContrastMixin


@MODELS.register_module()
class BDCLOCRHead(PixelContrastMixin, OCRHead):
    """OCR head (Yuan et al., ECCV 2020) trained with an extra BDCL pixel-contrast loss.

    The OCR cascade head of the BDCL paper (ICASSP 2024, HRNetV2-W48 + OCR), on the shared
    contrast path of :class:`~bdcl_mm.seg.pixel_contrast.PixelContrastMixin` with
    ``features='inputs'``: the contrast features are the backbone features the head receives after
    its own ``input_transform`` (``resize_concat`` of the HRNet levels: ``(B, 720, H/4, W/4)`` for
    W48), computed once and used by the OCR path and by the projection
    ``in_channels -> proj_mid_channels -> proj_channels``. ``forward`` / ``predict`` are those of
    :class:`mmseg.models.decode_heads.OCRHead`.

    Args:
        ocr_channels (int): channels of the OCR object-context block (as ``OCRHead``).
        proj_channels (int): embedding size ``D`` of the projection. Defaults to 256.
        proj_mid_channels (int, optional): hidden channels of the projection; None uses the
            head's ``in_channels``. Defaults to None.
        loss_contrast (dict): config of the contrastive loss (see
            :meth:`PixelContrastMixin.init_pixel_contrast`). Defaults to
            ``dict(type='BDCLLoss', loss_weight=0.1)``.
        contrast_warmup_iters (int): iterations before the contrastive term switches on.
            Defaults to 0.
        max_views (int): most pixels sampled per image and class. Defaults to 100.
        max_samples (int, optional): most pixels sampled per batch; None for no cap.
            Defaults to 1024.
        scope (str): contrast scope, ``'image'``, ``'batch'`` or ``'global'``
            (:mod:`~bdcl_mm.seg.contrast_scope`). Defaults to ``'batch'``.
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
                 scope: str = 'batch',
                 **kwargs) -> None:
        super().__init__(ocr_channels=ocr_channels, **kwargs)
        self.init_pixel_contrast(proj_channels, proj_mid_channels, loss_contrast,
                                 contrast_warmup_iters, max_views, max_samples, scope,
                                 features='inputs')
