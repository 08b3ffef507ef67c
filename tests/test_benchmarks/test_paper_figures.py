"""The paper's numbers beside the benchmark rows: every mapped row exists, cells read right."""
from benchmarks import cls_plan as plan
from benchmarks import paper_figures as paper
from benchmarks import seg_benchmark as seg
from benchmarks.cls_report import PAIRED_BASELINES


def test_every_mapped_row_is_a_benchmark_method_and_a_paper_row():
    assert set(paper.CLS_ROWS) <= set(plan.METHODS)
    assert set(paper.SEG_ROWS) <= set(seg.METHODS)
    assert set(paper.CLS_ROWS.values()) <= set(paper.PAPER_CLS)
    assert set(paper.SEG_ROWS.values()) <= set(paper.PAPER_SEG)


def test_the_paper_rivals_are_rows_and_paired_baselines():
    rivals = {'ldam_drw', 'gcl', 'tsc_crt', 'bal_mixup'}
    assert rivals <= set(paper.CLS_ROWS) and rivals <= set(PAIRED_BASELINES)
    assert {'ldam', 'softiou', 'tsc'} <= set(paper.SEG_ROWS) & set(seg.PAIRED_BASELINES)


def test_cells():
    assert paper.seg_cell('bdcl') == 'BDCL: 86.89'
    assert paper.seg_cell('scl') == '—'
    assert paper.cls_cell('bal_mixup') == 'Bal-Mxp: 81.55/82.27/73.86; 90.48/64.74/59.66'
    assert paper.cls_cell('bdcl_wo_tdl_crt') == '—'


def test_the_results_pages_show_the_paper_column():
    import os.path as osp
    from benchmarks.common import REPO_ROOT
    for page, header in (('docs/results/seg_results.md', paper.SEG_HEADER),
                         ('docs/results/cls_results.md', paper.CLS_HEADER),
                         ('README.md', paper.SEG_HEADER)):
        with open(osp.join(REPO_ROOT, page), encoding='utf-8') as f:
            assert header in f.read(), page


def test_every_paper_row_is_a_benchmark_row_or_named_with_its_reason():
    assert set(paper.PAPER_CLS) == set(paper.CLS_ROWS.values())
    assert set(paper.PAPER_SEG) == set(paper.SEG_ROWS.values()) | set(paper.SEG_ROWS_NOT_RUN)
    line = paper.seg_rows_not_run()
    assert "The paper's Focal row (TUI mIoU 84.89) has no CPU run: mmseg 1.2.2" in line
