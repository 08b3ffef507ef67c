"""Where the BDCL pieces go in an mmseg model config, and the host model without them.

* :func:`host_model_config` removes the BDCL term from a model config (``BDCLDecodeHead`` back to
  its ``host_type``, ``BDCLOCRHead`` back to ``OCRHead``): the model whose logits the BDCL model
  reproduces with the same weights.
* :func:`check_bdcl_placement` rejects, before anything is built, the placements that cannot
  work, with what to write instead: ``BDCLLoss`` in a head's ``loss_decode`` (it is a loss of
  embeddings, not of logits), and a cascade BDCL head in a segmentor that has no previous head.
* :func:`check_head_inputs` compares a built head's ``in_channels`` with the backbone features it
  receives (e.g. W48 heads on an HRNet-W18 backbone).
"""
import copy
from typing import Iterator, List, Sequence, Tuple

from torch import Tensor, nn

CONTRAST_KEYS = ('proj_channels', 'proj_mid_channels', 'loss_contrast', 'contrast_warmup_iters',
                 'max_views', 'max_samples', 'scope', 'features')
CASCADE_BDCL_HEADS = ('BDCLOCRHead', )
RECIPE = ("to add BDCL to a decode head, set its type='BDCLDecodeHead' with host_type=<its "
          "current type> and loss_contrast=dict(type='BDCLLoss', loss_weight=0.1), or use "
          "type='BDCLOCRHead' for an OCRHead (README, \"Add BDCL to your model\")")


def _heads(model_cfg: dict) -> Iterator[Tuple[str, dict]]:
    for key in ('decode_head', 'auxiliary_head'):
        heads = model_cfg.get(key)
        if isinstance(heads, dict):
            yield f'model.{key}', heads
        elif isinstance(heads, (list, tuple)):
            for i, head in enumerate(heads):
                yield f'model.{key}[{i}]', head


def _loss_types(loss_decode) -> List[str]:
    losses = loss_decode if isinstance(loss_decode, (list, tuple)) else [loss_decode]
    return [str(loss.get('type')) for loss in losses if isinstance(loss, dict)]


def host_model_config(model_cfg: dict) -> dict:
    """The model config without the BDCL term (a deep copy; the input is unchanged).

    Args:
        model_cfg (dict): an mmseg model config (a ``ConfigDict`` stays one).

    Returns:
        dict: the same config with every BDCL head replaced by its host head.
    """
    cfg = copy.deepcopy(model_cfg)
    for _, head in _heads(cfg):
        if head.get('type') == 'BDCLDecodeHead':
            head['type'] = head.pop('host_type')
        elif head.get('type') in CASCADE_BDCL_HEADS:
            head['type'] = 'OCRHead'
        else:
            continue
        for key in CONTRAST_KEYS:
            head.pop(key, None)
    return cfg


def check_bdcl_placement(model_cfg: dict) -> None:
    """Raise ``ValueError`` for a BDCL piece placed where it cannot work.

    Args:
        model_cfg (dict): an mmseg model config.
    """
    cascade = model_cfg.get('type') == 'CascadeEncoderDecoder'
    for where, head in _heads(model_cfg):
        if 'BDCLLoss' in _loss_types(head.get('loss_decode')):
            raise ValueError(
                f'{where}.loss_decode holds BDCLLoss, but loss_decode losses take logits and '
                f'BDCLLoss takes pixel embeddings; keep a logit loss there (e.g. '
                f'CrossEntropyLoss) and {RECIPE}')
        first = where in ('model.decode_head', 'model.decode_head[0]')
        if head.get('type') in CASCADE_BDCL_HEADS and (not cascade or first
                                                        or 'auxiliary' in where):
            raise ValueError(
                f'{where} is {head.get("type")}, a cascade head that needs the previous head\'s '
                f'logits: it belongs at decode_head[1] of a CascadeEncoderDecoder (after an '
                f'FCNHead, as in configs/bdcl/hrnet_ocr_tui.py). For the decode head of an '
                f'EncoderDecoder (UNet, DeepLabV3+, SegFormer) use type=\'BDCLDecodeHead\' with '
                f'host_type=<its host type>, e.g. host_type=\'FCNHead\'')


def check_head_inputs(name: str, head: nn.Module, inputs: Sequence[Tensor]) -> None:
    """Raise ``ValueError`` unless the features ``inputs`` fit the decode head's ``in_channels``.

    Args:
        name (str): the head's place, used in the message.
        head (BaseDecodeHead): an mmseg decode head (``in_index``, ``in_channels``,
            ``input_transform``).
        inputs (Sequence[Tensor]): the backbone (or neck) features, ``(B, C_l, H_l, W_l)`` each.
    """
    index = head.in_index
    if isinstance(index, (list, tuple)):
        got = [int(inputs[i].shape[1]) for i in index]
        fits = (sum(got) == head.in_channels if head.input_transform == 'resize_concat' else
                got == list(head.in_channels))
        want = (f'{head.in_channels} (summed over the levels)'
                if head.input_transform == 'resize_concat' else list(head.in_channels))
    else:
        got = int(inputs[index].shape[1])
        fits, want = got == head.in_channels, head.in_channels
    if not fits:
        raise ValueError(
            f'{name}: in_channels={want} but the backbone gives {got} channels at '
            f'in_index={index}; set in_channels of this head (and of every head sharing its '
            f'inputs, e.g. the FCNHead of an OCR cascade, whose channels is their sum) to {got}')
