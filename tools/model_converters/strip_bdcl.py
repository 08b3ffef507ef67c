"""Turn a BDCL checkpoint into one that a plain host config loads, without bdcl_mm.

A checkpoint written by a BDCL run needs ``bdcl_mm`` to load with its state: it holds mmengine's
``HistoryBuffer`` (message hub), the ``bdcl_hook`` entry and the BDCL-only weights. This tool keeps
the weights a stock model has and writes ``{'meta': {...}, 'state_dict': {...}}`` of tensors and
plain values only, so ``torch.load(path, weights_only=True)`` reads it with stock mmseg / mmpretrain
and no plugin::

    python tools/model_converters/strip_bdcl.py work_dirs/hrnet_ocr_tui/iter_80000.pth plain.pth

- segmentation (``BDCLOCRHead``): the ``projector.*`` and ``loss_contrast.*`` keys are dropped; the
  rest is a stock ``OCRHead`` cascade (load it with the same config's ``type='OCRHead'``);
- classification stage 1 (``BDCLClsHead``): ``head.projector.*`` and ``head.loss_contrast.*`` are
  dropped and the linear classifier ``head.classifier.*`` becomes ``head.fc.*``; stage 2 (cRT,
  ``CRTClsHead``): ``head.crt_fc.*`` becomes ``head.fc.*``; both load into an ``ImageClassifier``
  with mmpretrain's ``LinearClsHead``;
- dropped: optimizer, schedulers, message hub, ``bdcl_hook``; ``meta`` keeps ``dataset_meta``
  (classes and palette, read by the hosts' inferencers) when its values are plain.

The output is written to a temporary file next to it, checked to load with ``weights_only=True``,
then renamed into place. The input is never overwritten; an existing output only with ``--force``.
"""
import argparse
import os
import os.path as osp
import sys
import tempfile
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Sequence, Tuple

import torch

DROPPED_PARTS = ('projector', 'loss_contrast')
RENAMES = (('head.crt_fc.', 'head.fc.'), )
STAGE1_RENAME = ('head.classifier.', 'head.fc.')
PLAIN = (str, int, float, bool, type(None))


def strip_state_dict(state: Dict[str, torch.Tensor]) -> Tuple[Dict[str, torch.Tensor], List[str]]:
    """The stock-model weights of a BDCL ``state_dict``, and the dropped keys.

    Raises:
        ValueError: two keys would get the same name (e.g. both ``head.crt_fc.*`` and
            ``head.fc.*``): not a checkpoint of one BDCL model.
    """
    dropped = [k for k in state if set(k.split('.')) & set(DROPPED_PARTS)]
    renames = list(RENAMES)
    if any(k.startswith('head.projector.') for k in dropped):
        renames.append(STAGE1_RENAME)  # BDCLClsHead: its linear classifier is the plain head
    stripped: Dict[str, torch.Tensor] = OrderedDict()
    for key, value in state.items():
        if key in dropped:
            continue
        for old, new in renames:
            if key.startswith(old):
                key = new + key[len(old):]
        if key in stripped:
            raise ValueError(f'two weights would both be named {key!r} after stripping; this does '
                             f'not look like the checkpoint of one BDCL model.')
        stripped[key] = value
    return stripped, dropped


def plain_value(value: Any) -> Optional[Any]:
    """``value`` with only str/number/bool/None in dicts, lists and tuples; None if it has more."""
    if isinstance(value, PLAIN):
        return value
    if hasattr(value, 'item') and getattr(value, 'ndim', 1) == 0:
        return value.item()  # numpy / torch scalar
    if isinstance(value, (list, tuple)):
        items = [plain_value(v) for v in value]
        if any(i is None and v is not None for i, v in zip(items, value)):
            return None
        return type(value)(items)
    if isinstance(value, dict):
        items = {k: plain_value(v) for k, v in value.items()}
        if not all(isinstance(k, str) for k in items) or any(
                items[k] is None and value[k] is not None for k in items):
            return None
        return items
    return None


def strip_checkpoint(checkpoint: Dict[str, Any], source: str) -> Tuple[Dict[str, Any], List[str]]:
    """The stripped checkpoint (``meta`` + ``state_dict``) and the dropped weight names."""
    state = checkpoint.get('state_dict', checkpoint)
    if not isinstance(state, dict) or not all(torch.is_tensor(v) for v in state.values()):
        raise ValueError(f'{source}: no state_dict of tensors found; expected a checkpoint '
                         f'written by mmengine (tools/train.py) or a state_dict.')
    stripped, dropped = strip_state_dict(state)
    meta: Dict[str, Any] = {'stripped_by': 'bdcl_mm tools/model_converters/strip_bdcl.py',
                            'source': osp.basename(source)}
    dataset_meta = plain_value((checkpoint.get('meta') or {}).get('dataset_meta'))
    if dataset_meta is not None:
        meta['dataset_meta'] = dataset_meta
    return {'meta': meta, 'state_dict': stripped}, dropped


def save_atomically(obj: Any, path: str) -> None:
    """``torch.save`` to a temporary file beside ``path``, check it loads weights-only, rename.

    The file gets the permissions of the user's umask, as a plain ``open`` would give it.
    """
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f'.{osp.basename(path)}.', suffix='.tmp', dir=folder)
    try:
        with os.fdopen(fd, 'wb') as f:
            torch.save(obj, f)
        torch.load(tmp, map_location='cpu', weights_only=True)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Strip a BDCL checkpoint to the weights of the plain host model (no bdcl_mm '
        'needed to load it)')
    parser.add_argument('src', help='BDCL checkpoint (tools/train.py output)')
    parser.add_argument('dst', help='output checkpoint path (a new file)')
    parser.add_argument('--force', action='store_true', help='replace an existing output file')
    return parser.parse_args(argv)


def check_paths(args: argparse.Namespace) -> None:
    """Stop before reading anything when the input is missing or the output must not be written.

    Raises:
        FileNotFoundError: no input checkpoint.
        ValueError: the output is the input, or exists and ``--force`` is not given.
    """
    if not osp.isfile(args.src):
        raise FileNotFoundError(f'checkpoint not found: {args.src!r}')
    if osp.exists(args.dst) and osp.samefile(args.src, args.dst):
        raise ValueError(f'{args.dst!r} is the input checkpoint; write the stripped one elsewhere.')
    if osp.exists(args.dst) and not args.force:
        raise ValueError(f'{args.dst!r} exists; choose another output path or pass --force to '
                         f'replace it.')


def main(argv: Optional[Sequence[str]] = None) -> None:
    """Strip ``src`` into ``dst``; a path problem is printed as one line, exit status 2."""
    args = parse_args(argv)
    try:
        check_paths(args)
    except (FileNotFoundError, ValueError) as error:
        print(f'strip_bdcl.py: error: {error}', file=sys.stderr)
        sys.exit(2)
    from bdcl_mm.engine.checkpoint import safe_torch_load  # the Runner's own checkpoints, safely
    checkpoint = safe_torch_load(args.src, map_location='cpu')
    stripped, dropped = strip_checkpoint(checkpoint, args.src)
    save_atomically(stripped, args.dst)
    print(f'{args.dst}: {len(stripped["state_dict"])} weights kept, {len(dropped)} BDCL-only '
          f'weights dropped', file=sys.stdout)


if __name__ == '__main__':
    main()
