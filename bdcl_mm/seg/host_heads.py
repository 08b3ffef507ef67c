"""Which mmseg decode head ``BDCLDecodeHead`` wraps: argument checks, candidates, the config's type.

``BDCLDecodeHead`` replaces a config's decode head and inherits every argument of it, so its
``host_type`` must be the head those arguments were written for. mmseg heads pass ``**kwargs`` up
to ``BaseDecodeHead``, so the arguments a head accepts are the named parameters of each
``__init__`` up its MRO, as far as the chain of ``**kwargs`` reaches (:func:`accepted_arguments`).

- :func:`check_host_arguments` stops a ``host_type`` that cannot take the inherited arguments with
  a message naming ``host_type``, the offending arguments and the registered heads that take them
  all (:func:`heads_accepting`);
- :func:`base_decode_head_type` reads, from a config file's ``_base_`` files, the decode head type
  that the file replaces; :func:`fill_host_type` sets a missing ``host_type`` from it (the tools
  call it on load, so the type written in the host config is the one wrapped);
- :data:`HOST_HEADS` are the hosts whose build, forward and loss with the BDCL term are tested.
"""
import inspect
import os.path as osp
from typing import Dict, FrozenSet, List, Mapping, Optional, Sequence, Tuple

from mmengine.config import Config
from mmengine.logging import print_log
from mmseg.models.decode_heads.cascade_decode_head import BaseCascadeDecodeHead
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.registry import MODELS

__all__ = [
    'HOST_HEADS', 'CASCADE_HOST_HEADS', 'accepted_arguments', 'trained_by_decode_loss',
    'heads_accepting', 'check_host_arguments', 'missing_host_type_message',
    'base_decode_head_type', 'fill_host_type'
]

BDCL_TYPE = 'BDCLDecodeHead'

#: Hosts of an ``EncoderDecoder`` tested with the BDCL term (build, forward, loss, backward).
HOST_HEADS: Tuple[str, ...] = (
    'FCNHead', 'ASPPHead', 'DepthwiseSeparableASPPHead', 'SegformerHead', 'UPerHead', 'PSPHead',
    'FPNHead', 'NLHead', 'GCHead', 'DNLHead', 'EMAHead', 'APCHead', 'DMHead', 'ANNHead',
    'DepthwiseSeparableFCNHead', 'SETRUPHead', 'ISAHead', 'CCHead', 'PSAHead', 'LightHamHead')
#: Cascade hosts (``decode_head[1]`` of a ``CascadeEncoderDecoder``), tested the same way.
CASCADE_HOST_HEADS: Tuple[str, ...] = ('OCRHead', )


def accepted_arguments(head: type) -> Tuple[FrozenSet[str], FrozenSet[str]]:
    """The keyword arguments ``head(**kwargs)`` accepts, and those it requires.

    Walks ``head.__mro__``: each class that defines ``__init__`` adds its named parameters; the walk
    goes on to the next ``__init__`` only while the current one takes ``**kwargs``. A parameter is
    required when the most derived ``__init__`` that names it gives it no default.

    Returns:
        tuple[frozenset[str], frozenset[str]]: ``(accepted, required)`` parameter names.
    """
    accepted, required = set(), set()
    for cls in head.__mro__:
        if '__init__' not in vars(cls) or cls is object:
            continue
        params = list(inspect.signature(vars(cls)['__init__']).parameters.values())[1:]
        for param in params:
            if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD) or param.name in accepted:
                continue
            accepted.add(param.name)  # the most derived class that names it decides
            if param.default is param.empty:
                required.add(param.name)
        if not any(p.kind is p.VAR_KEYWORD for p in params):
            break
    return frozenset(accepted), frozenset(required)


def trained_by_decode_loss(head: type) -> bool:
    """Whether ``head`` trains its logits with ``BaseDecodeHead.loss`` (or the cascade one)."""
    return head.loss in (BaseDecodeHead.loss, BaseCascadeDecodeHead.loss)


def _registered_heads() -> Dict[str, type]:
    from .pixel_contrast import PixelContrastMixin
    heads = {}
    for name, module in MODELS.module_dict.items():
        if (isinstance(module, type) and issubclass(module, BaseDecodeHead)
                and not issubclass(module, PixelContrastMixin) and trained_by_decode_loss(module)):
            heads[name] = module
    return heads


def heads_accepting(arguments: Sequence[str]) -> List[str]:
    """Registered decode heads (trained by the decode-head loss) that take all of ``arguments``
    and need no other argument."""
    given = set(arguments)
    fits = []
    for name, head in sorted(_registered_heads().items()):
        accepted, required = accepted_arguments(head)
        if given <= accepted and required <= given:
            fits.append(name)
    return fits


def _candidates_text(arguments: Sequence[str]) -> str:
    fits = heads_accepting(arguments)
    if not fits:
        return 'no registered decode head takes all of them'
    return 'the registered decode heads that take them all: ' + ', '.join(fits)


def check_host_arguments(host: type, kwargs: Mapping) -> None:
    """Stop when the host head ``host`` cannot take the inherited head arguments ``kwargs``.

    Raises:
        ValueError: naming ``host_type``, the arguments it does not take (or lacks) and the
            registered heads that take all the given arguments.
    """
    accepted, required = accepted_arguments(host)
    unexpected = sorted(set(kwargs) - accepted)
    missing = sorted(required - set(kwargs))
    if not unexpected and not missing:
        return
    problems = []
    if unexpected:
        problems.append(f'does not take {", ".join(unexpected)}')
    if missing:
        problems.append(f'needs {", ".join(missing)}')
    raise ValueError(
        f"BDCLDecodeHead: host_type={host.__name__!r} {' and '.join(problems)}, which the decode "
        f"head arguments of this config {'give' if unexpected else 'lack'}. host_type must be the "
        f"type of the decode head the config replaces (model.decode_head.type of its _base_); "
        f"{_candidates_text(kwargs)}.")


def missing_host_type_message(kwargs: Mapping) -> str:
    """The error for a ``BDCLDecodeHead`` config without ``host_type``."""
    return (f"BDCLDecodeHead needs host_type: the type of the decode head it replaces, i.e. "
            f"model.decode_head.type of the _base_ config (e.g. host_type='FCNHead' for UNet). "
            f"tools/train.py and tools/test.py fill it in from the _base_ files when they can; "
            f"for these head arguments, {_candidates_text(kwargs)}.")


def _base_paths(filename: str) -> List[str]:
    bases = Config._get_base_files(filename)
    return [Config._get_cfg_path(base, filename)[0] for base in bases]


def _decode_head(cfg: Config, index: Optional[int]):
    head = cfg.get('model', {}).get('decode_head')
    if index is not None:
        return head[index] if isinstance(head, (list, tuple)) and len(head) > index else None
    return head if isinstance(head, dict) else None


def base_decode_head_type(filename: str, index: Optional[int] = None) -> Optional[str]:
    """The decode head type that ``filename``'s ``_base_`` files give, before the file replaces it.

    A base whose head is itself a ``BDCLDecodeHead`` gives its ``host_type``, or the type its own
    bases give.

    Args:
        filename (str): A text-style config file.
        index (int, optional): For a list of decode heads, the entry; None for one head.

    Returns:
        str | None: The host type, or None when no base defines that decode head.
    """
    for path in _base_paths(osp.abspath(filename)):
        head = _decode_head(Config.fromfile(path), index)
        if head is None or 'type' not in head:
            continue
        if head['type'] != BDCL_TYPE:
            return head['type']
        return head.get('host_type') or base_decode_head_type(path, index)
    return None


def fill_host_type(cfg: Config) -> None:
    """Set a missing ``host_type`` of each ``BDCLDecodeHead`` of ``cfg.model`` from its bases.

    ``cfg.filename`` must be the file ``cfg`` was read from; a head whose bases define no decode
    head is left as it is (building it then says what to write).
    """
    head = cfg.get('model', {}).get('decode_head')
    if not cfg.filename or head is None:
        return
    entries = list(enumerate(head)) if isinstance(head, (list, tuple)) else [(None, head)]
    for index, entry in entries:
        if not isinstance(entry, dict) or entry.get('type') != BDCL_TYPE or 'host_type' in entry:
            continue
        host_type = base_decode_head_type(cfg.filename, index)
        if host_type is None:
            continue
        entry['host_type'] = host_type
        where = 'model.decode_head' + ('' if index is None else f'[{index}]')
        print_log(f'{where}.host_type is not set: using {host_type!r}, the decode head type of '
                  f'the _base_ config that {osp.basename(cfg.filename)} replaces', logger='current')
