from .samplers import *  # noqa: F401,F403
from .samplers import __all__ as _samplers_all

__all__ = list(_samplers_all)
