"""The tests' class-count cache is a session folder, not the user's ``~/.cache``."""
import os.path as osp

from bdcl_mm.engine.class_counts import default_cache_dir


def test_default_cache_dir_is_the_session_folder(class_count_cache):
    assert default_cache_dir() == osp.join(class_count_cache, 'class_counts')
    assert not default_cache_dir().startswith(osp.expanduser('~'))
