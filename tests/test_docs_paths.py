"""Every repository path that README.md and docs/*.md name, and every relative link in them,
exists: the documented commands point at real configs, tools and pages."""
import glob
import os.path as osp
import re

import pytest

from tests._shared.paths import REPO as ROOT
PAGES = ['README.md'] + sorted(
    osp.relpath(p, ROOT) for p in glob.glob(osp.join(ROOT, 'docs', '*.md')))
# a path under one of the repository's top-level folders, ending in a file extension
REPO_PATH = re.compile(r'(?<![\w/.-])((?:configs|tools|docs|benchmarks|requirements|bdcl_mm)/'
                       r'[\w./-]+\.(?:py|sh|md|png|txt))')
LINK = re.compile(r'\]\(([^)\s]+)\)')


def _text(page):
    with open(osp.join(ROOT, page), encoding='utf-8') as f:
        return f.read()


@pytest.mark.parametrize('page', PAGES)
def test_named_repository_paths_exist(page):
    missing = sorted({p for p in REPO_PATH.findall(_text(page))
                      if not osp.exists(osp.join(ROOT, p))})
    assert not missing, f'{page} names paths that do not exist: {missing}'


@pytest.mark.parametrize('page', PAGES)
def test_relative_links_resolve(page):
    base = osp.dirname(osp.join(ROOT, page))
    links = [link.split('#')[0] for link in LINK.findall(_text(page))
             if not re.match(r'[a-z]+://|#|mailto:', link)]
    missing = sorted({link for link in links if link and not osp.exists(osp.join(base, link))})
    assert not missing, f'{page} links to missing files: {missing}'
