from .checkpoint import (TrustedCheckpointError, register_safe_checkpoint_loader,
                         safe_torch_load)
from .hooks import *  # noqa: F401,F403
from .hooks import __all__ as _hooks_all

register_safe_checkpoint_loader()

__all__ = ['TrustedCheckpointError', 'register_safe_checkpoint_loader', 'safe_torch_load'
           ] + list(_hooks_all)
