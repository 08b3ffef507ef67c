"""PEP 562 lazy re-exports, so that importing a package does not import its host-side modules.

A package ``__init__`` that re-exports a name defined in a module importing mmengine (a registered
class) lists it here instead of importing it: the defining module, and with it mmengine and the
registration, is imported on first attribute access (``from package import Name`` included).
"""
import importlib
import sys
import types
from typing import Callable, Dict, List, Sequence, Tuple


class _ReExportingPackage(types.ModuleType):
    """A package whose re-exported names win over same-named sub-modules imported later.

    Importing ``package.name`` binds the sub-module as the attribute ``name`` of the package. When
    the package already re-exports something else under that name (the function ``bdcl_loss`` of
    :mod:`bdcl_mm.models.losses`, beside its sub-module ``bdcl_loss``), the re-export stays, as it
    did when the package imported its sub-modules eagerly.
    """

    def __setattr__(self, name: str, value) -> None:
        current = self.__dict__.get(name)
        if (isinstance(value, types.ModuleType) and current is not None
                and not isinstance(current, types.ModuleType)):
            return
        super().__setattr__(name, value)


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
    sys.modules[package].__class__ = _ReExportingPackage
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
