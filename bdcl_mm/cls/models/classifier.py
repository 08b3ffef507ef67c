"""Image classifier that takes a list of augmented views (SupCon protocol)."""
from typing import List, Optional, Sequence, Union

import torch
from mmpretrain.models import ImageClassifier
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

Inputs = Union[torch.Tensor, Sequence[torch.Tensor]]


@MODELS.register_module()
class BDCLImageClassifier(ImageClassifier):
    """:class:`mmpretrain.models.ImageClassifier` for inputs with several views per image.

    ``inputs`` may be a tensor ``(B, C, H, W)`` or a list of ``V`` views, each
    ``(B, C, H, W)`` (from :class:`MultiViewClsDataPreprocessor`, the default pre-processor).
    The views are concatenated along the batch, view-major, into ``(V * B, C, H, W)``: the
    head receives ``V * B`` feature rows for ``B`` data samples, row ``v * B + b`` being view
    ``v`` of image ``b`` (see :class:`BDCLClsHead`).

    - ``mode='loss'``: all views go through the backbone and neck, then ``head.loss``.
    - ``mode='predict'``: only the first view is used (validation pipelines give one view).
    - ``mode='tensor'``: the head output (linear-classifier logits) of all views,
      ``(V * B, num_classes)``, or the neck features when there is no head.

    Args: as :class:`mmpretrain.models.ImageClassifier`; ``data_preprocessor`` defaults to
    ``MultiViewClsDataPreprocessor``.
    """

    def __init__(self, *args, data_preprocessor: Optional[dict] = None, **kwargs) -> None:
        if data_preprocessor is None or isinstance(data_preprocessor, dict):
            data_preprocessor = dict(data_preprocessor or {})
            data_preprocessor.setdefault('type', 'MultiViewClsDataPreprocessor')
        super().__init__(*args, data_preprocessor=data_preprocessor, **kwargs)

    def extract_feat(self, inputs: Inputs, stage: str = 'neck'):
        """Features of all views, concatenated view-major along the batch."""
        if isinstance(inputs, (list, tuple)):
            inputs = torch.cat(list(inputs), dim=0)
        return super().extract_feat(inputs, stage=stage)

    def predict(self,
                inputs: Inputs,
                data_samples: Optional[List[DataSample]] = None,
                **kwargs) -> List[DataSample]:
        """Predictions from the first view (or the only one)."""
        if isinstance(inputs, (list, tuple)):
            inputs = inputs[0]
        return super().predict(inputs, data_samples, **kwargs)
