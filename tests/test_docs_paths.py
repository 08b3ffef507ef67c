"""Every repository path that README.md and docs/*.md name, and every relative link in them,
exists: the documented commands point at real configs, tools and pages."""
import glob
import os.path as osp
import re

import pytest

from tests._shared.paths import REPO as ROOT

CHANGELOG = osp.join('docs', 'changelog.md')
# the guides and the generated results pages (docs/results/**), whose commands come from run JSONs
PAGES = ['README.md'] + sorted(
    osp.relpath(p, ROOT) for p in glob.glob(osp.join(ROOT, 'docs', '**', '*.md'), recursive=True))
# the changelog names removed paths on purpose: test_changelog_renames checks those
CURRENT_PAGES = [p for p in PAGES if p != CHANGELOG]
RENAME_ROW = re.compile(r'^\| `([^`]+)` \| `([^`]+)` \|$', re.M)
# a path under one of the repository's top-level folders, ending in a file extension
REPO_PATH = re.compile(r'(?<![\w/.-])((?:configs|tools|docs|benchmarks|requirements|bdcl_mm)/'
                       r'[\w./-]+\.(?:py|sh|md|png|txt))')
LINK = re.compile(r'\]\(([^)\s]+)\)')


def _text(page):
    with open(osp.join(ROOT, page), encoding='utf-8') as f:
        return f.read()


@pytest.mark.parametrize('page', CURRENT_PAGES)
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


def test_changelog_renames():
    """Every "removed | use instead" row of the changelog: the old path or module is gone and
    its replacement exists."""
    rows = RENAME_ROW.findall(_text(CHANGELOG))
    assert len(rows) > 30
    for old, new in rows:
        if old.startswith('configs/'):
            assert not osp.exists(osp.join(ROOT, old)), old
            assert osp.isfile(osp.join(ROOT, new)), new
        else:  # a module path
            as_path = [osp.join(ROOT, *name.split('.')) for name in (old, new)]
            assert not any(osp.exists(p + ext) for p in as_path[:1] for ext in ('', '.py')), old
            assert any(osp.exists(as_path[1] + ext) for ext in ('', '.py')), new
