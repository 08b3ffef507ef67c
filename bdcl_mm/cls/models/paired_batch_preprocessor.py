"""Classification pre-processor whose batch augment may merge a paired batch into half of it."""
from mmpretrain.models import ClsDataPreprocessor
from mmpretrain.registry import MODELS


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

    Args: as :class:`mmpretrain.models.ClsDataPreprocessor`.
    """

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
