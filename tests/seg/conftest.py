"""Every segmentation test builds in the ``mmseg`` scope, whatever an earlier test's Runner left
as mmengine's current default scope."""
import pytest
from mmengine.registry import DefaultScope


@pytest.fixture(autouse=True)
def mmseg_default_scope():
    with DefaultScope.overwrite_default_scope('mmseg'):
        yield
