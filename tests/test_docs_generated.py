"""The generated results pages hold results only: no stderr noise (warnings, tracebacks), no path
of the machine that produced them, and no citation of a document the repository does not ship.

Pages: every ``docs/results/**/*.md`` (written by the benchmark scripts) and the blocks that
``benchmarks/render_readme.py`` writes into ``docs/results.md`` and ``README.md``.
"""
import glob
import os.path as osp
import re

import pytest

from benchmarks.render_readme import END, START, SUMMARY_END, SUMMARY_START
from tests._shared.paths import REPO as ROOT

RESULT_PAGES = sorted(
    osp.relpath(p, ROOT)
    for p in glob.glob(osp.join(ROOT, 'docs', 'results', '**', '*.md'), recursive=True))
#: page -> markers of its generated block
BLOCKS = {'docs/results.md': (START, END), 'README.md': (SUMMARY_START, SUMMARY_END)}
#: a Python warning as the ``warnings`` module prints it, the source line it quotes, a traceback
NOISE = re.compile(r'\b\w*Warning: |^\s*warnings\.warn\(|Traceback \(most recent call last\)',
                   re.M)
#: an absolute path of a machine, or a virtual environment's files
FOREIGN_PATH = re.compile(r'(?<![\w.-])/(?:work|root|tmp|home|usr|opt|var|mnt)/|site-packages|'
                          r'(?<![\w-])\.venv\b|(?<![\w-])venv/')
#: an upper-case document name (DESIGN.md, RIVALS.md, ...): it must be a file of the repository
DOCUMENT = re.compile(r'(?<![\w/.-])([A-Z][A-Z0-9_]+\.md)\b')


def generated_text(page: str) -> str:
    """The generated part of ``page``: the whole file, or the block between its markers."""
    with open(osp.join(ROOT, page), encoding='utf-8') as f:
        text = f.read()
    if page in BLOCKS:
        start, end = BLOCKS[page]
        assert text.count(start) == 1 and text.count(end) == 1, f'{page}: markers missing'
        text = text.split(start, 1)[1].split(end, 1)[0]
    return text


def problems(text: str) -> list:
    """The offending lines of a generated page, each tagged with what is wrong."""
    found = []
    for line in text.splitlines():
        if NOISE.search(line):
            found.append(f'stderr noise: {line.strip()[:120]}')
        if FOREIGN_PATH.search(line):
            found.append(f'path outside the repository: {line.strip()[:120]}')
        for name in DOCUMENT.findall(line):
            if not glob.glob(osp.join(ROOT, '**', name), recursive=True):
                found.append(f'cites {name}, which is not in the repository')
    return found


def test_the_check_finds_noise_paths_and_missing_documents():
    raw = ('| a | 1 |\n/x/lib/python3.11/site-packages/mmengine/utils/package_utils.py:17: '
           'UserWarning: pkg_resources is deprecated\n  warnings.warn(\n'
           'Traceback (most recent call last):\nrun from /work/main/.venv/bin/python\n'
           'the target (DESIGN.md) asks for 1.05x\n')
    kinds = [p.split(':')[0] for p in problems(raw)]
    assert kinds.count('stderr noise') == 3
    assert kinds.count('path outside the repository') == 2
    assert any('DESIGN.md' in p for p in problems(raw))
    clean = ('- command: `python tools/analysis/benchmark_seg_step.py --device cpu`\n'
             '| DeepLabV3+ | 0.890 [0.85, 0.93] | within noise |\nsee README.md and '
             'docs/benchmarks.md; `make setup` builds the venv\n')
    assert problems(clean) == []


@pytest.mark.parametrize('page', RESULT_PAGES + sorted(BLOCKS))
def test_generated_page_holds_results_only(page):
    found = problems(generated_text(page))
    assert not found, f'{page} (regenerate it with its script):\n' + '\n'.join(found)
