"""The benchmarks take each method's contrast switches from the method's config."""
import pytest
from mmengine.config import Config

from benchmarks import cls_plan as plan
from benchmarks import seg_benchmark as seg

#: stage-1 key -> (tdl, use_prototypes) of its BDCL loss; None: no BDCL loss.
CLS_SWITCHES = {
    'ce': None,
    'scl': ('none', False),
    'bdcl': ('paper', True),
    'bdcl_descent': ('descent', True),
    'bdcl_ascent': ('ascent', True),
    'bdcl_balance': ('balance', True),
    'bdcl_wo_tdl': ('none', True),
    'bdcl_wo_hep': ('balance', False),
    'bal_mixup': None,
}
#: segmentation method -> (tdl, use_prototypes, scope) of the demo model it trains.
SEG_SWITCHES = {
    'scl': ('none', False, 'batch'),
    'bdcl': ('balance', True, 'batch'),
    'bdcl_paper': ('paper', True, 'batch'),
    'bdcl_wo_tdl': ('none', True, 'batch'),
    'bdcl_wo_hep': ('balance', False, 'batch'),
    'bdcl_image': ('balance', True, 'image'),
}


@pytest.mark.parametrize('key', sorted(CLS_SWITCHES))
def test_cls_stage1_configs_hold_the_method_switches(key):
    loss = Config.fromfile(plan.stage1_config(key),
                           import_custom_modules=False).model.head.get('loss_contrast')
    expected = CLS_SWITCHES[key]
    if expected is None:
        assert loss is None and plan.stage1_tdl(key) is None
    else:
        assert (loss.tdl, loss.use_prototypes) == expected
        assert plan.stage1_tdl(key) == expected[0]


def test_every_cls_stage1_has_its_switches_pinned():
    assert set(plan.STAGE1) == set(CLS_SWITCHES)


@pytest.mark.parametrize('method', sorted(SEG_SWITCHES))
def test_seg_methods_train_the_demo_model_with_their_configs_switches(method):
    spec = seg.METHODS[method]
    assert spec['config'] == seg.BDCL_CFG
    cfg = Config.fromfile(spec['config'], import_custom_modules=False)
    cfg.merge_from_dict(seg.method_switches(method))
    head = cfg.model.decode_head[1]
    assert head.type == 'BDCLOCRHead'
    loss = head.loss_contrast
    assert (loss.tdl, loss.get('use_prototypes', True), head.get('scope', 'batch')) == \
        SEG_SWITCHES[method]
    # the demo keeps its own sampling and projection: only switches come from the source
    assert head.proj_channels == 128 and head.max_views == 64


def test_seg_ce_trains_the_host_head_with_no_switches():
    assert seg.method_switches('ce') == {}
    cfg = Config.fromfile(seg.METHODS['ce']['config'], import_custom_modules=False)
    assert [h.type for h in cfg.model.decode_head] == ['FCNHead', 'OCRHead']
    assert set(seg.METHODS) == set(SEG_SWITCHES) | {'ce', 'softiou'}


def test_seg_softiou_trains_the_host_head_with_the_baselines_loss():
    assert seg.method_switches('softiou') == {}
    bench = Config.fromfile(seg.METHODS['softiou']['config'], import_custom_modules=False)
    full = Config.fromfile(seg._full_size('baselines', 'softiou'), import_custom_modules=False)
    assert [h.type for h in bench.model.decode_head] == ['FCNHead', 'OCRHead']
    assert bench.model.decode_head[1].loss_decode == full.model.decode_head[1].loss_decode
    assert bench.model.decode_head[0].loss_decode == full.model.decode_head[0].loss_decode
