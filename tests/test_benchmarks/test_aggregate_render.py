"""Aggregation and rendering (docs/results.md, README.md) from hand-written run results (no
training)."""
import pytest

from benchmarks import cls_plan as plan
from benchmarks.cls_aggregate import aggregate
from benchmarks.common import write_json
from benchmarks.render_readme import (END, START, SUMMARY_END, SUMMARY_START, main as render_main,
                                      replace_block, seg_summary)

COUNTS = [2, 200, 5, 119, 3, 71, 9, 43, 25, 15]


def _method(results, method, seed, acc, few, settings):
    metrics = {m: acc for m in plan.METRICS}
    metrics['few_shot_acc'] = few
    write_json(plan.method_result_path(str(results), 'hard-tail', method, seed),
               dict(kind='method', method=method, label=plan.METHODS[method].label,
                    order='hard-tail', seed=seed, settings=settings.as_dict(),
                    settings_key=settings.key(), stage1=plan.METHODS[method].stage1,
                    commands=['python tools/train.py x'], wall_s={'stage1': 1.0},
                    metrics=metrics))


def _stage1(results, seed, taus, settings):
    write_json(plan.stage1_result_path(str(results), 'hard-tail', 'bdcl_balance', seed),
               dict(kind='stage1', key='bdcl_balance', order='hard-tail', seed=seed,
                    settings=settings.as_dict(), settings_key=settings.key(), tdl='balance',
                    work_dir='nowhere', checkpoint='nowhere.pth', metrics={},
                    curves={'train': {'iter': list(range(1, 21)), 'epoch': [1] * 20,
                                      'loss': [5.0 - 0.1 * i for i in range(20)]},
                            'val': {'epoch': [10, 20], 'acc': [1, 2], 'gmean': [1.0, 3.0],
                                    'f1': [1, 2], 'few_shot_acc': [0, 1]}},
                    train_counts=COUNTS, temperatures=taus))


@pytest.fixture()
def results(tmp_path):
    settings = plan.Settings()
    out = tmp_path / 'results'
    for seed, (a_ce, a_bdcl) in enumerate([(50.0, 60.0), (51.0, 61.0), (52.0, 64.0)]):
        _method(out, 'ce_crt', seed, a_ce, 10.0 + seed, settings)
        _method(out, 'bdcl_balance_crt', seed, a_bdcl, 5.0 + seed, settings)
        # head classes (large counts) hotter than tail classes in every seed
        _stage1(out, seed, [0.05 + 0.0001 * c + 0.001 * seed for c in COUNTS], settings)
    # a result with other settings is ignored
    _method(out, 'scl_crt', 0, 99.0, 99.0, plan.Settings(epochs_stage1=1))
    return out, settings


def test_aggregate_tables_verdict_and_temperatures(results):
    out, settings = results
    summary = aggregate(str(out), settings, ['ce_crt', 'scl_crt', 'bdcl_balance_crt'], ['hard-tail'],
                        [0, 1, 2], str(out / 'work'))
    rows = summary['tables']['hard-tail']
    assert set(rows) == {'ce_crt', 'bdcl_balance_crt'}
    assert rows['bdcl_balance_crt']['metrics']['acc']['mean'] == pytest.approx(61.0 + 2 / 3)
    assert rows['bdcl_balance_crt']['metrics']['acc']['std'] == pytest.approx(2.0816660)
    verdict = summary['verdict']['hard-tail']
    assert verdict['baselines'] == ['ce_crt']  # SCL + cRT has no run with these settings
    acc = verdict['metrics']['acc']['ce_crt']
    assert acc['seeds'] == [0, 1, 2] and acc['mean'] == pytest.approx(10.0 + 2 / 3)
    assert acc['verdict'] == 'beats' and acc['low'] > 0
    few = verdict['metrics']['few_shot_acc']['ce_crt']
    assert few['mean'] == pytest.approx(-5.0) and few['verdict'] == 'worse'
    assert summary['not_run'] == ['hard-tail / SCL + cRT / seeds 0,1,2']
    temps = summary['temperatures']['hard-tail']['balance']
    assert temps['head_hotter_than_tail'] is True
    assert temps['spearman_count_tau']['mean'] == pytest.approx(1.0)
    md = (out / 'cls_results.md').read_text()
    assert '| CE + cRT | 0,1,2 | 51.00 ± 1.00 |' in md
    assert '| ACC | +10.67 [+7.80, +13.54] (3 seeds): beats |' in md
    assert '**beats** the baseline in' in md and 'SCL + cRT / seeds 0,1,2' in md
    # the verdict line names each comparison whose interval excludes zero
    assert 'beats CE + cRT on ACC (+10.67 [+7.80, +13.54])' in md
    assert 'worse CE + cRT on few (-5.00 [' in md
    tdl = (out / 'tdl_rule.md').read_text()
    assert 'head classes end hotter than tail classes' in tdl
    assert (out / 'figures' / 'cls_temperatures_hard-tail.png').stat().st_size > 0


def test_a_kept_hook_figure_stays_listed_without_its_work_dir(results):
    """Re-aggregating from the committed run JSONs alone keeps the BDCLHook figures already there."""
    out, settings = results
    figure = out / 'figures' / 'bdcl_hook_temperatures_hard-tail_balance.png'
    figure.parent.mkdir(parents=True)
    figure.write_bytes(b'png')
    summary = aggregate(str(out), settings, ['ce_crt', 'bdcl_balance_crt'], ['hard-tail'],
                        [0, 1, 2], str(out / 'work'))
    assert summary['figures']['hook_temperatures_hard-tail_balance'] == \
        'figures/bdcl_hook_temperatures_hard-tail_balance.png'
    assert 'bdcl_hook_temperatures_hard-tail_balance.png' in (out / 'tdl_rule.md').read_text()


def _pages(tmp_path, results_md_text=f'{START}\n{END}\n'):
    """A README with the summary markers and a results page with the full-block markers."""
    readme, results_md = tmp_path / 'README.md', tmp_path / 'docs' / 'results.md'
    results_md.parent.mkdir(exist_ok=True)
    readme.write_text(f'# T\n\n{SUMMARY_START}\nold summary\n{SUMMARY_END}\n\n## After\n')
    results_md.write_text(results_md_text)
    return readme, results_md, ['--readme', str(readme), '--results-md', str(results_md)]


def test_render_replaces_only_the_blocks(results, tmp_path):
    out, settings = results
    aggregate(str(out), settings, list(plan.METHODS), ['hard-tail'], [0, 1, 2], str(out / 'work'))
    readme, results_md, pages = _pages(tmp_path, f'# R\n\nintro\n\n{START}\nold text\n{END}\n')
    assert render_main(pages + ['--results-dir', str(out)]) == 0
    text = results_md.read_text()
    assert text.startswith('# R\n\nintro\n\n') and text.endswith(f'{END}\n')
    block = text.split(START)[1].split(END)[0]
    assert 'old text' not in block
    assert '84.57' in block and '86.89' in block and 'paper' in block
    assert 'paired differences' in block and 'Segmentation:** not run' in block
    assert '| BDCL + cRT (TDL balance, default) | 0,1,2 | 61.67 ± 2.08 |' in block
    assert '(3 seeds): beats' in block
    summary = readme.read_text()
    assert summary.startswith('# T\n\n') and summary.endswith(f'{SUMMARY_END}\n\n## After\n')
    summary = summary.split(SUMMARY_START)[1].split(SUMMARY_END)[0]
    assert 'old summary' not in summary and '[docs/results.md](docs/results.md)' in summary
    # the compact table: the first order, the baselines and the default BDCL, fewer columns
    assert 'hard-tail order' in summary
    assert '| method | seeds | ACC | G-mean | F1 | IBA0.1 | few |' in summary
    assert '| BDCL + cRT (TDL balance, default) | 0,1,2 | 61.67 ± 2.08 |' in summary
    assert '| CE + cRT | 0,1,2 | 51.00 ± 1.00 |' in summary and 'IBA1' not in summary
    assert 'Segmentation:** not run' in summary and '86.89' in summary
    assert render_main(pages + ['--results-dir', str(out), '--check']) == 0


def test_check_names_each_stale_page(results, tmp_path, capsys):
    out, settings = results
    aggregate(str(out), settings, ['ce_crt', 'bdcl_balance_crt'], ['hard-tail'], [0, 1, 2],
              str(out / 'work'))
    readme, results_md, pages = _pages(tmp_path)
    assert render_main(pages + ['--results-dir', str(out), '--check']) == 1
    assert capsys.readouterr().out.count('STALE') == 2
    assert render_main(pages + ['--results-dir', str(out)]) == 0
    capsys.readouterr()
    readme.write_text(readme.read_text().replace('CE + cRT', 'edited by hand'))
    assert render_main(pages + ['--results-dir', str(out), '--check']) == 1
    reported = capsys.readouterr().out
    assert str(readme) in reported and str(results_md) not in reported


def test_replace_block_needs_markers():
    with pytest.raises(ValueError, match='exactly one'):
        replace_block('no markers', 'x')
    with pytest.raises(ValueError, match='exactly one'):
        replace_block(f'{START}\n{END}\n', 'x', SUMMARY_START, SUMMARY_END)


def test_render_adds_sub_folders_that_hold_results(results, tmp_path):
    out, settings = results
    aggregate(str(out), settings, ['ce_crt', 'bdcl_balance_crt'], ['hard-tail'], [0, 1, 2],
              str(out / 'work'))
    longer = plan.Settings(epochs_stage1=100, extra={'tdl_lr': 3e-5})
    sub = out / 'cls_epochs100'
    _method(sub, 'ce_crt', 0, 70.0, 30.0, longer)
    aggregate(str(sub), longer, ['ce_crt'], ['hard-tail'], [0], str(out / 'work100'))
    (out / 'cls_unfinished').mkdir()
    _, results_md, pages = _pages(tmp_path)
    assert render_main(pages + ['--results-dir', str(out)]) == 0
    block = results_md.read_text()
    assert 'CPU-sized, 20-epoch stage 1)' in block
    assert 'CPU-sized, 100-epoch stage 1, tdl_lr 3e-05)' in block
    assert '| CE + cRT | 0 | 70.00 |' in block
    assert '--epochs-stage1 100' in block and '--tdl-lr 3e-05' in block
    assert 'Classification:** not run' not in block and 'cls_unfinished' not in block
    # the cross-run TDL table: the fixture's 'balance' rule (head hotter in every seed)
    tdl = block.split('### TDL rules across the classification runs')[1]
    assert '| hard-tail | balance | 0,1,2 | 6.00 ± 1.00 | 61.67 ± 2.08 |' in tdl
    assert '20 epochs, tdl_lr 3e-06' in tdl and '| yes |' in tdl


def test_the_committed_pages_match_the_committed_results():
    """docs/results.md's full block and README.md's compact tables are what
    benchmarks/render_readme.py makes of docs/results."""
    assert render_main(['--check']) == 0, 'run: python benchmarks/render_readme.py'


def test_compact_segmentation_table_shows_hd95(tmp_path):
    row = dict(label='OCR + BDCL', seeds=[0, 1], mIoU=[40.0, 42.0], IoU_benign=[10.0, 12.0],
               IoU_malignant=[20.0, 22.0], HD95_benign=[7.0, 9.0], HD95_malignant=[])
    write_json(str(tmp_path / 'seg_results.json'),
               dict(settings=dict(size=128, num_train=80, num_val=20, iters=400),
                    rows={'bdcl': row}, verdict='no difference shown'))
    text = '\n'.join(seg_summary(str(tmp_path)))
    assert '| method | seeds | mIoU | IoU benign | IoU malignant | HD95 benign (px) | ' \
           'HD95 malignant (px) |' in text
    assert '| OCR + BDCL | 0,1 | 41.00 ± 1.41 | 11.00 ± 1.41 | 21.00 ± 1.41 | 8.00 ± 1.41 | — |' \
        in text
