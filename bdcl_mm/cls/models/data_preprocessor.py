"""Classification data pre-processor that also accepts several augmented views per image."""
from typing import List, Optional

import torch
from mmpretrain.models import ClsDataPreprocessor
from mmpretrain.registry import MODELS


def split_views(inputs) -> Optional[List]:
    """The views of a multi-view batch, or None for an ordinary single-view batch.

    mmpretrain's ``MultiView`` + ``PackInputs`` make each item's ``inputs`` a list of ``V``
    tensors ``(C, H, W)``. Both of mmengine's collate functions transpose it per view:
    ``default_collate`` gives a list of ``V`` tensors ``(B, C, H, W)``, ``pseudo_collate`` a
    list of ``V`` sequences of ``B`` tensors ``(C, H, W)``. A single-view batch is a tensor
    ``(B, C, H, W)`` or a list of ``B`` tensors ``(C, H, W)``.

    Returns:
        list | None: ``V`` entries, each a ``(B, C, H, W)`` tensor or a list of ``B``
        ``(C, H, W)`` tensors.
    """
    if isinstance(inputs, torch.Tensor) or not inputs:
        return None
    first = inputs[0]
    if isinstance(first, torch.Tensor) and first.dim() == 4:
        return list(inputs)
    if isinstance(first, (list, tuple)):
        sizes = {len(view) for view in inputs}
        if len(sizes) != 1:
            raise ValueError(f'the views of a batch hold different numbers of images: {sizes}.')
        return [list(view) for view in inputs]
    return None


@MODELS.register_module()
class MultiViewClsDataPreprocessor(ClsDataPreprocessor):
    """:class:`mmpretrain.models.ClsDataPreprocessor` for one or several views per image.

    A single-view batch is handled exactly as by ``ClsDataPreprocessor``. A multi-view batch
    (``MultiView`` transform, see :func:`split_views`) has each view normalised, converted and
    stacked the same way, and is returned as a list of ``V`` tensors ``(B, C, H, W)`` with the
    data samples of the images. Batch augmentations (Mixup, CutMix) mix labels across images,
    which the contrastive loss cannot use, so they are refused for multi-view batches.

    Args: as :class:`mmpretrain.models.ClsDataPreprocessor`.
    """

    def forward(self, data: dict, training: bool = False) -> dict:
        """Pre-process a batch; see the class docstring.

        Returns:
            dict: ``inputs`` (a ``(B, C, H, W)`` tensor, or a list of ``V`` of them) and
            ``data_samples``.
        """
        views = split_views(data['inputs'])
        if views is None:
            return super().forward(data, training)
        if training and self.batch_augments is not None:
            raise ValueError('batch augmentations (train_cfg augments) are not supported with '
                             'several views per image; remove them from the model config.')
        data_samples = data.get('data_samples')
        processed = []
        for view in views:
            out = super().forward(dict(inputs=view, data_samples=data_samples), training)
            processed.append(out['inputs'])
            data_samples = out['data_samples']
        return dict(inputs=processed, data_samples=data_samples)
