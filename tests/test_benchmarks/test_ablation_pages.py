"""The ablation rows are of the default method, the tables show every row (a missing one as not
run), the seg table labels its wall time, and a ``--tdl-lr`` study says why it has no default-rule
row."""
import pytest

from benchmarks import cls_plan as plan
from benchmarks import seg_benchmark as seg
from benchmarks.ablation import ROWS, AblationEntry, ablation_table, seg_ablation_markdown
from benchmarks.cls_report import ablation_entries, verdict, verdict_text
from benchmarks.common import fmt_paired, paired_difference


def test_every_ablation_row_is_of_the_default_rule():
    default = plan.bdcl_loss_default('tdl')
    assert list(plan.ABLATION_METHODS) == list(ROWS)
    switches = {row: (plan.stage1_tdl(plan.METHODS[m].stage1),
                      plan.stage1_prototypes(plan.METHODS[m].stage1))
                for row, m in plan.ABLATION_METHODS.items()}
    assert switches == {'baseline': ('none', False), 'w/o TDL': ('none', True),
                        'w/o HEP': (default, False), 'full': (default, True)}
    assert plan.BDCL_METHOD == plan.ABLATION_METHODS['full']
    assert 'paper' not in plan.METHODS['bdcl_wo_hep_crt'].label
    seg_switches = {row: seg.method_switches(m) for row, m in
                    {'w/o HEP': 'bdcl_wo_hep', 'full': 'bdcl'}.items()}
    assert {row: s[seg.LOSS + 'tdl'] for row, s in seg_switches.items()} == {
        'w/o HEP': default, 'full': default}
    assert 'paper' not in seg.METHODS['bdcl_wo_hep']['label']


def _row(method, seeds, values):
    return {'label': plan.METHODS[method].label, 'seeds': list(seeds),
            'metrics': {m: {'values': list(values)} for m in plan.METRICS}}


def test_cls_ablation_shows_all_four_rows_and_pairs_by_seed():
    rows = {'scl_crt': _row('scl_crt', [0, 1, 2], [50.0, 52.0, 51.0]),
            'bdcl_balance_crt': _row('bdcl_balance_crt', [0, 1, 2, 3], [55.0, 58.0, 54.0, 60.0]),
            'bdcl_wo_hep_crt': _row('bdcl_wo_hep_crt', [0], [56.0])}
    table = ablation_table(ablation_entries(rows), ['ACC', 'G-mean'], 'G-mean')
    lines = table.splitlines()
    assert [line.split(' | ')[0].lstrip('| ') for line in lines[2:]] == list(ROWS)
    diff = paired_difference({0: 55.0, 1: 58.0, 2: 54.0, 3: 60.0}, {0: 50.0, 1: 52.0, 2: 51.0})
    assert f'| {fmt_paired(diff)} (3 seeds): {diff["verdict"]} |' in lines[2]
    assert '| w/o TDL | BDCL w/o TDL + cRT | none | yes | not run | — | — | — |' in table
    assert 'w/o HEP + cRT (TDL balance) | balance | no | 0 | 56.00 | 56.00 | fewer than 2 ' \
           'paired seeds |' in table


def test_unknown_ablation_row_is_refused():
    with pytest.raises(ValueError, match='unknown ablation rows'):
        ablation_table([AblationEntry('w/o both', 'x', None, None)], ['ACC'], 'ACC')


def test_a_tdl_lr_study_says_why_the_default_rule_has_no_row():
    rows = {'bdcl_crt': _row('bdcl_crt', [0, 1], [50.0, 51.0])}
    text = verdict_text('hard-tail', verdict(rows, plan.Settings(extra={'tdl_lr': 3e-5})))
    assert 'does not take `--tdl-lr` as a gradient step' in text
    assert 'not run' not in text
    assert 'not run' in verdict_text('hard-tail', verdict(rows, plan.Settings()))


def _seg_row(method, seeds, miou):
    return {'label': seg.METHODS[method]['label'], 'seeds': list(seeds), 'mIoU': list(miou),
            'mDice': list(miou), 'wall_s': [300.0] * len(seeds),
            **{f'{m}_{c}': list(miou) for m in ('IoU', 'Dice') for c in seg.CLASSES}}


def test_seg_page_labels_wall_time_and_lists_the_missing_ablation_rows():
    args = seg.parse_args([])
    assert {'bdcl_wo_tdl', 'bdcl_wo_hep'} <= set(args.methods)
    rows = {m: _seg_row(m, [0, 1], [40.0, 42.0]) for m in ('ce', 'scl', 'bdcl')}
    missing = [f'{seg.METHODS[m]["label"]} / seed {s}' for m in ('bdcl_wo_tdl', 'bdcl_wo_hep')
               for s in (0, 1)]
    summary = dict(settings=vars(seg.SegSettings()), rows=rows, not_run=missing, figures=[],
                   verdict='v', reproduce=['python benchmarks/seg_benchmark.py'])
    md = seg.seg_markdown(summary)
    assert '| wall s, load-dependent |' in md
    assert '| w/o HEP | OCR + BDCL w/o HEP (TDL balance) | balance | no | not run |' in md
    assert '- OCR + BDCL w/o TDL / seed 0' in md
    assert seg_ablation_markdown({}) == []  # no full-method run: no table
