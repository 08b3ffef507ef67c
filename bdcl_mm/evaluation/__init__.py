from .functional import *  # noqa: F401,F403
from .functional import __all__ as _functional_all

__all__ = list(_functional_all)
