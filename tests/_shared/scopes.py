"""The mmseg default scope as an autouse fixture.

A module (or a ``conftest.py``) that imports :func:`mmseg_default_scope` builds every one of its
tests in the ``mmseg`` scope, whatever an earlier test's Runner left as mmengine's current default
scope.
"""
import pytest
from mmengine.registry import DefaultScope

__all__ = ['mmseg_default_scope']


@pytest.fixture(autouse=True)
def mmseg_default_scope():
    with DefaultScope.overwrite_default_scope('mmseg'):
        yield
