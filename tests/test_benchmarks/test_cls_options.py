"""``--tdl-lr``: which runs it reaches, that its config path is real, and how it is reported."""
import os

import pytest
from mmengine.config import Config

from benchmarks import cls_plan as plan
from benchmarks.cls_aggregate import reproduce_lines
from benchmarks.cls_benchmark import parse_args, settings_of


def test_tdl_lr_reaches_only_runs_that_learn_temperatures():
    settings = settings_of(parse_args(['--tdl-lr', '3e-5']))
    assert settings.tdl_lr() == pytest.approx(3e-5)
    for key in plan.STAGE1:
        options = settings.loss_options(plan.stage1_tdl(key))
        if plan.stage1_tdl(key) in plan.GRADIENT_RULES:
            assert options == {'model.head.loss_contrast.tdl_lr': 3e-5}, key
        else:  # fixed temperatures, and 'balance', whose tdl_lr is a time constant
            assert options == {}, key
    assert plan.stage1_tdl('bdcl_balance') == 'balance'


def test_default_settings_keep_their_key_and_the_loss_default():
    settings = settings_of(parse_args([]))
    assert settings.extra == {} and settings.key() == plan.Settings().key()
    assert settings.tdl_lr() == pytest.approx(3e-6)  # BDCLLoss's default for gradient rules
    assert settings.loss_options('paper') == {}


def test_bad_tdl_lr_is_refused():
    with pytest.raises(SystemExit):
        parse_args(['--tdl-lr', '0'])


@pytest.mark.parametrize('key', ['bdcl', 'bdcl_descent', 'bdcl_ascent'])
def test_tdl_lr_option_builds_into_the_loss(key):
    import bdcl_mm.cls  # noqa: F401  (registers the classification components)
    from mmpretrain.registry import MODELS
    settings = plan.Settings(extra={'tdl_lr': 2e-5})
    cfg = Config.fromfile(plan.stage1_config(key))
    cfg.merge_from_dict(settings.loss_options(plan.stage1_tdl(key)))
    model = MODELS.build(cfg.model)
    assert model.head.loss_contrast.tdl_lr == pytest.approx(2e-5)
    assert model.head.loss_contrast.tdl == plan.stage1_tdl(key)


def test_reproduce_lines_name_the_folder_and_the_tdl_lr(tmp_path):
    settings = plan.Settings(epochs_stage1=100, extra={'tdl_lr': 3e-5})
    lines = reproduce_lines(settings, ['bdcl_crt'], ['hard-tail'], [0, 1], str(tmp_path / 'r'),
                            str(tmp_path / 'w'))
    run = lines[0]
    assert run.startswith('OMP_NUM_THREADS=1 python benchmarks/cls_benchmark.py')
    for part in ('--orders hard-tail', '--methods bdcl_crt', '--seeds 0,1', '--epochs-stage1 100',
                 '--tdl-lr 3e-05', f'--results-dir {os.path.join(tmp_path, "r")}'):
        assert part in run
    args = parse_args(run.split('cls_benchmark.py ')[1].split())
    assert settings_of(args).key() == settings.key()
    assert '--aggregate-only' in lines[1]


def test_the_verdict_row_uses_the_loss_default_rule():
    rule = plan.bdcl_loss_default('tdl')
    assert plan.stage1_tdl(plan.METHODS[plan.BDCL_METHOD].stage1) == rule
