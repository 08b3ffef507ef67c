"""Test-session settings shared by every test module."""
import os

import pytest


@pytest.fixture(autouse=True, scope='session')
def class_count_cache(tmp_path_factory):
    """The class-count cache (``$BDCL_MM_CACHE``) of every hook and subprocess in a session
    folder, so the tests never write into the user's ``~/.cache/bdcl_mm``."""
    old = os.environ.get('BDCL_MM_CACHE')
    os.environ['BDCL_MM_CACHE'] = str(tmp_path_factory.mktemp('bdcl_mm_cache'))
    yield os.environ['BDCL_MM_CACHE']
    if old is None:
        del os.environ['BDCL_MM_CACHE']
    else:
        os.environ['BDCL_MM_CACHE'] = old
