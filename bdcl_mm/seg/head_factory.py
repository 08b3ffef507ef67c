"""Host-head classes: any mmseg decode head extended by a mixin, made once per (mixin, host).

A config keeps every argument of its host head; only ``type`` changes and ``host_type`` names the
host class. The built class is ``<prefix><Host>``, a subclass of the mixin and of the host, so a
host checkpoint loads into it. Its ``__init__`` passes the mixin's own arguments (those of the
mixin's ``init_method``) to that method after the host's ``__init__`` has run with the rest; the
rest is first checked against the host's arguments
(:func:`~bdcl_mm.seg.host_heads.check_host_arguments`). Used by ``BDCLDecodeHead``
(:mod:`.bdcl_decode_head`) and ``CosineDecodeHead`` (:mod:`.cosine_decode_head`).
"""
import inspect
from typing import Dict, List, Optional, Tuple, Type, Union

from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.registry import MODELS

from .host_heads import HOST_HEADS, check_host_arguments, trained_by_decode_loss

__all__ = ['extended_head_class', 'host_head_class', 'own_arguments']

_CLASSES: Dict[Tuple[type, type], type] = {}


def host_head_class(host_type: Union[str, type], mixin: type, what: str,
                    wrapper: str) -> Type[BaseDecodeHead]:
    """The host decode head class of ``host_type``, checked for ``mixin``.

    Args:
        host_type: a registered mmseg decode head name, or its class.
        mixin: the mixin to add (the host must not have it already).
        what: what the mixin adds, for messages (e.g. ``'the BDCL term'``).
        wrapper: the registered wrapper's name, for messages (e.g. ``'BDCLDecodeHead'``).

    Raises:
        ValueError: ``host_type`` is not registered.
        TypeError: it is not a decode head, already has the mixin, or has its own ``loss()``.
    """
    host = MODELS.get(host_type) if isinstance(host_type, str) else host_type
    if host is None:
        raise ValueError(f'host_type={host_type!r} is not a registered mmseg model; give the type '
                         f'of the decode head the host config uses, e.g. \'FCNHead\', '
                         f'\'DepthwiseSeparableASPPHead\', \'SegformerHead\' or \'OCRHead\'')
    if not isinstance(host, type) or not issubclass(host, BaseDecodeHead):
        raise TypeError(f'host_type={host_type!r} is not an mmseg decode head (a BaseDecodeHead '
                        f'subclass); {wrapper} wraps the model\'s decode_head type')
    if issubclass(host, mixin):
        raise TypeError(f'host_type={host_type!r} already has {what}; give its plain host '
                        f'head instead')
    if not trained_by_decode_loss(host):
        raise TypeError(
            f'host_type={host_type!r} has its own loss() (it does not train its logits with the '
            f'decode-head loss), so {what} cannot be added to it. Tested hosts: '
            f'{", ".join(HOST_HEADS)} and, at decode_head[1] of a cascade, OCRHead')
    return host


def own_arguments(mixin: type, init_method: str) -> List[str]:
    """The names of the arguments of ``mixin.<init_method>`` (the mixin's own options)."""
    return [name for name in inspect.signature(getattr(mixin, init_method)).parameters
            if name != 'self']


def extended_head_class(host_type: Union[str, type],
                        mixin: type,
                        prefix: str,
                        init_method: str,
                        what: str,
                        wrapper: str,
                        module: Optional[str] = None) -> type:
    """The class ``<prefix><Host>`` = ``(mixin, host)``, made once per pair.

    Args:
        host_type: the host head (name or class), checked by :func:`host_head_class`.
        mixin: the mixin class; its method ``init_method`` takes the mixin's arguments (with
            their defaults) and is called after the host's ``__init__``.
        prefix: the new class name's prefix (``'BDCL'``, ``'Cosine'``).
        init_method: name of the mixin's initialiser.
        what, wrapper: for messages (see :func:`host_head_class`).
        module: the new class's ``__module__``; None for the mixin's.
    """
    host = host_head_class(host_type, mixin, what, wrapper)
    if (mixin, host) in _CLASSES:
        return _CLASSES[(mixin, host)]
    own = own_arguments(mixin, init_method)

    def __init__(self, **kwargs) -> None:
        options = {name: kwargs.pop(name) for name in own if name in kwargs}
        check_host_arguments(host, kwargs, wrapper)
        host.__init__(self, **kwargs)
        getattr(self, init_method)(**options)

    name = f'{prefix}{host.__name__}'
    doc = (f'``{host.__name__}`` with {what}; see :class:`{mixin.__module__}.{mixin.__name__}` '
           f'(arguments: the host\'s plus {", ".join(own) or "none"}).')
    cls = type(name, (mixin, host), dict(__init__=__init__, __doc__=doc,
                                         __module__=module or mixin.__module__,
                                         __qualname__=name))
    _CLASSES[(mixin, host)] = cls
    return cls
