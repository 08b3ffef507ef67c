"""Safe checkpoint loading for mmengine on torch >= 2.6.

mmengine 0.10.7 calls ``torch.load`` without ``weights_only``; torch >= 2.6 defaults to
``weights_only=True`` and refuses the Runner's own checkpoints, which hold a ``HistoryBuffer``, numpy
arrays and scalars, and ``getattr`` references to the buffer's statistics methods. The usual fixes
(``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1``, a full-unpickling loader) execute any pickled code.

**What installing the policy changes.** mmengine's loader for local paths (the ``''`` scheme of
``mmengine.runner.CheckpointLoader``, used by ``load_from``, ``resume``, ``load_checkpoint`` and
``tools/test.py``) is replaced, for the whole process, by :func:`safe_torch_load`: it keeps
``weights_only=True`` and allows exactly the extra globals an mmengine checkpoint needs (numpy
arrays, dtypes and scalars, ``HistoryBuffer``, and ``getattr`` restricted to ``HistoryBuffer``
statistics). Other schemes (``http(s)://``, ``open-mmlab://``, ``s3://`` ...) keep mmengine's
loaders. A file that needs anything else is refused with :class:`TrustedCheckpointError`, whose
message names the offending globals (e.g. ``builtins.open``, which pickles as ``io.open``) and the
opt-in: ``--trust-checkpoint`` in ``tools/train.py``/``tools/test.py``, ``trust_checkpoint = True``
in a config, or ``register_safe_checkpoint_loader(trust=True)``. On torch < 2.6, whose
``torch.load`` unpickles fully by default as mmengine expects, mmengine's loader is left as it is.

**Where it is installed.** :func:`install_safe_checkpoint_loader` runs on ``import
bdcl_mm.registration``, and so on ``import bdcl_mm.seg`` / ``import bdcl_mm.cls`` (what a config's
``custom_imports`` loads); ``tools/train.py`` and ``tools/test.py`` call
:func:`register_safe_checkpoint_loader` with the ``--trust-checkpoint`` choice. Importing
``bdcl_mm``, its maths or :mod:`bdcl_mm.engine` installs nothing.
"""
import os.path as osp
import pickle
import re
from typing import Any, Callable, List, Optional, Tuple, Union

import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader
from mmengine.utils import digit_version

_TRUST = {'enabled': False}
_BUFFER_STATISTICS = {'min', 'max', 'current', 'mean'}

OPT_IN_HINT = ('If you trust the file (it was written by you or a source you trust), opt in to full '
               'unpickling with `--trust-checkpoint` (tools/train.py, tools/test.py), '
               '`trust_checkpoint = True` in the config, or '
               '`bdcl_mm.engine.register_safe_checkpoint_loader(trust=True)` in Python.')


class TrustedCheckpointError(pickle.UnpicklingError):
    """A checkpoint needs full unpickling, which is off by default."""


def _history_buffer_getattr(obj: Any, name: str) -> Any:
    """``getattr`` limited to what mmengine pickles: a HistoryBuffer's statistics methods."""
    allowed = obj is HistoryBuffer or isinstance(obj, HistoryBuffer)
    methods = _BUFFER_STATISTICS | set(HistoryBuffer._statistics_methods)
    if not allowed or name.startswith('_') or name not in methods:
        raise TrustedCheckpointError(
            f'checkpoint asks for getattr({type(obj).__name__}, {name!r}), which a plain mmengine '
            f'checkpoint never does. {OPT_IN_HINT}')
    return getattr(obj, name)


def _numpy_globals() -> List[Union[Callable, Tuple[Callable, str]]]:
    """numpy globals that pickled arrays, dtypes and scalars refer to (numpy 1 and 2 names)."""
    multiarray = np._core.multiarray if hasattr(np, '_core') else np.core.multiarray
    found: List[Union[Callable, Tuple[Callable, str]]] = [np.ndarray, np.dtype]
    for module in ('numpy.core.multiarray', 'numpy._core.multiarray'):
        found += [(multiarray._reconstruct, f'{module}._reconstruct'),
                  (multiarray.scalar, f'{module}.scalar')]
    found += [type(np.dtype(code)) for code in '?bBhHiIlLqQefdgFDG']
    return found


def safe_globals() -> List[Union[Callable, Tuple[Callable, str]]]:
    """The globals allowed on top of torch's weights-only defaults."""
    return [HistoryBuffer, (_history_buffer_getattr, 'builtins.getattr'),
            (_history_buffer_getattr, '__builtin__.getattr')] + _numpy_globals()


def safe_torch_load(filename: str, map_location: Any = None, trust: Optional[bool] = None) -> Any:
    """Load a local checkpoint without executing arbitrary pickled code.

    Args:
        filename: Path of a local checkpoint file.
        map_location: As in :func:`torch.load`.
        trust: Unpickle everything (only for files you trust). ``None`` uses the process-wide setting
            of :func:`register_safe_checkpoint_loader`.

    Raises:
        FileNotFoundError: The file does not exist.
        TrustedCheckpointError: The file needs globals outside the allow-list.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint {filename} can not be found.')
    if _TRUST['enabled'] if trust is None else trust:
        return torch.load(filename, map_location=map_location, weights_only=False)
    try:
        with torch.serialization.safe_globals(safe_globals()):
            return torch.load(filename, map_location=map_location, weights_only=True)
    except TrustedCheckpointError:
        raise
    except pickle.UnpicklingError as error:
        with torch.serialization.safe_globals(safe_globals()):
            reason = refused_globals_reason(filename, str(error))
        raise TrustedCheckpointError(
            f'Refusing to load {filename}: it needs more than tensors, numpy arrays and mmengine '
            f'log buffers, and loading it would run pickled code ({reason}). {OPT_IN_HINT}') from None


def refused_globals_reason(filename: str, message: str) -> str:
    """Say which pickled globals made a weights-only load fail, e.g. ``needs io.open``.

    The globals are read from the file itself (torch's static scan of the pickle, against the
    allow-list active when called); when the scan finds none or cannot read the file, every
    ``GLOBAL <name>`` that torch's message mentions, wherever it sits in the message. Only when
    neither names a global is torch's own error (its ``WeightsUnpickler error:`` part) quoted.

    Args:
        filename: The checkpoint that failed to load.
        message: The text of torch's ``UnpicklingError``.

    Returns:
        str: ``'needs <global>, <global>'`` or the quoted reason.
    """
    try:
        names = sorted(torch.serialization.get_unsafe_globals_in_checkpoint(filename))
    except (AttributeError, ValueError, RuntimeError, OSError, pickle.UnpicklingError):
        names = []
    if not names:
        names = sorted(set(re.findall(r'GLOBAL\s+([\w.]+)', message)))
    if names:
        return 'needs ' + ', '.join(names)
    specific = message.rsplit('WeightsUnpickler error:', 1)[-1]
    specific = specific.split('Check the documentation of torch.load')[0]
    return ' '.join(specific.split()) or 'unknown reason'


def torch_has_allow_list() -> bool:
    """Whether torch loads weights-only by default (torch >= 2.6), the case this loader is for.

    Before 2.6 ``torch.load`` unpickled fully by default, so mmengine's own loader works there and
    is left in place (the allow-list is only tested with torch 2.14).
    """
    return digit_version(torch.__version__)[:2] >= (2, 6)


def register_safe_checkpoint_loader(trust: bool = False) -> None:
    """Make mmengine load local checkpoints with :func:`safe_torch_load` and set the trust policy.

    ``tools/train.py``/``tools/test.py`` call it with their ``--trust-checkpoint`` choice (or the
    config's ``trust_checkpoint``). Resume, ``load_from`` and ``tools/test.py`` all go through it.

    Args:
        trust: Allow full unpickling of local checkpoint files for this process.
    """
    _TRUST['enabled'] = bool(trust)
    if torch_has_allow_list():
        CheckpointLoader.register_scheme(prefixes='', loader=_load_from_local, force=True)


def install_safe_checkpoint_loader() -> bool:
    """Install the loader of :func:`register_safe_checkpoint_loader` once, keeping the trust setting.

    What ``import bdcl_mm.registration`` (and so the host plugins) runs: importing a plugin after
    ``register_safe_checkpoint_loader(trust=True)`` does not take the opt-in back.

    Returns:
        Whether mmengine's local-path loader is now :func:`safe_torch_load` (False on torch < 2.6).
    """
    if not torch_has_allow_list():
        return False
    if not safe_checkpoint_loader_installed():
        CheckpointLoader.register_scheme(prefixes='', loader=_load_from_local, force=True)
    return True


def safe_checkpoint_loader_installed() -> bool:
    """Whether mmengine's local-path checkpoint loader is :func:`safe_torch_load`."""
    return CheckpointLoader._get_checkpoint_loader('model.pth') is _load_from_local


def _load_from_local(filename: str, map_location: Any = None) -> Any:
    return safe_torch_load(filename, map_location=map_location)
