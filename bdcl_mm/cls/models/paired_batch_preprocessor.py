"""Classification pre-processor whose batch augment may merge a paired batch into half of it."""
from mmpretrain.models import ClsDataPreprocessor
from mmpretrain.registry import MODELS

from .balanced_mixup import BalancedMixUp


@MODELS.register_module()
class PairedBatchClsDataPreprocessor(ClsDataPreprocessor):
    """:class:`mmpretrain.models.ClsDataPreprocessor` for batch augments that return fewer
    images than they receive, such as ``BalancedMixUp`` (``2B`` paired items in, ``B`` mixed
    images out).

    ``ClsDataPreprocessor`` sets the augment's ``B`` scores on the first ``B`` data samples but
    returns all ``2B`` samples, so the head would stack scores from samples that have none. Here
    the data samples are cut to the first ``B`` (the instance half, each with its mixed
    ``gt_score``; ``gt_label`` and the metainfo stay the instance image's), so the head sees ``B``
    images, ``B`` samples and ``B`` scores. Batches whose size the augment keeps (validation,
    test, other augments) pass as in ``ClsDataPreprocessor``.

    ``BalancedMixUp`` must be the only batch augment, applied to every batch: mmpretrain's
    ``RandomBatchAugment`` picks one augment per batch (or none, when ``probs`` sum below 1), and a
    batch left unmixed would train on its ``2B`` paired items, half of them class-balanced.

    Args: as :class:`mmpretrain.models.ClsDataPreprocessor`.

    Raises:
        ValueError: If ``BalancedMixUp`` is listed beside other augments or with a
            probability below 1.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.batch_augments is None:
            return
        augments = self.batch_augments.augments
        if not any(isinstance(a, BalancedMixUp) for a in augments):
            return
        probs = self.batch_augments.probs
        named = [a for a in augments if a is not None]
        always = probs is None or probs[augments.index(named[0])] >= 1.0
        if len(named) != 1 or not always:
            raise ValueError(
                'BalancedMixUp must be the only batch augment and run on every batch (mmpretrain '
                'picks one augment per batch, or none when probs sum below 1, and an unmixed '
                'paired batch would train on its class-balanced half too); got augments '
                f'{[type(a).__name__ for a in named]} with probs {probs}. Use '
                "batch_augments=dict(augments=dict(type='BalancedMixUp', alpha=0.2)).")

    def forward(self, data: dict, training: bool = False) -> dict:
        """Pre-process a batch; see the class docstring.

        Returns:
            dict: ``inputs`` ``(B, C, H, W)`` and the ``B`` matching ``data_samples``.

        Raises:
            ValueError: If the augment returned more images than there are samples.
        """
        out = super().forward(data, training)
        samples = out['data_samples']
        if samples is None:
            return out
        kept = out['inputs'].shape[0]
        if kept > len(samples):
            raise ValueError(f'the batch augment returned {kept} images for {len(samples)} data '
                             'samples.')
        out['data_samples'] = list(samples[:kept])
        return out
