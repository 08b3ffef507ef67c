"""Every segmentation test builds in the ``mmseg`` scope, whatever an earlier test's Runner left
as mmengine's current default scope."""
from tests._shared.scopes import mmseg_default_scope  # noqa: F401  (autouse)
