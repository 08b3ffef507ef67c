"""PEP 562 lazy re-exports, so that importing a package does not import its host-side modules.

A package ``__init__`` that re-exports a name defined in a module importing mmengine (a registered
class) lists it here instead of importing it: the defining module, and with it mmengine and the
registration, is imported on first attribute access (``from package import Name`` included).
"""
import importlib
from typing import Callable, Dict, List, Sequence, Tuple


def lazy_exports(package: str,
                 attributes: Dict[str, str],
                 submodules: Sequence[str] = ()) -> Tuple[Callable, Callable]:
    """Build a package's module-level ``__getattr__`` and ``__dir__``.

    Args:
        package: ``__name__`` of the package.
        attributes: ``{name: relative module}``, e.g. ``{'BDCLLoss': '.bdcl_loss'}``.
        submodules: Sub-modules reachable as attributes, e.g. ``('engine', )``.

    Returns:
        ``(__getattr__, __dir__)`` to assign in the package's namespace.
    """
    attributes = dict(attributes)
    submodules = tuple(submodules)

    def __getattr__(name: str):
        if name in attributes:
            return getattr(importlib.import_module(attributes[name], package), name)
        if name in submodules:
            return importlib.import_module(f'.{name}', package)
        raise AttributeError(f'module {package!r} has no attribute {name!r}')

    def __dir__() -> List[str]:
        namespace = vars(importlib.import_module(package))
        return sorted(set(namespace) | set(attributes) | set(submodules))

    return __getattr__, __dir__
