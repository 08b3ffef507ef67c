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
    'ldam_drw': None,
    'gcl': None,
    'bal_mixup': None,
    'focal': None,
}
#: stage-1 key -> the type of its contrastive loss, for stage 1s with another loss than BDCL's.
CLS_OTHER_LOSSES = {'tsc': 'TSCLoss'}
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
    assert set(plan.STAGE1) == set(CLS_SWITCHES) | set(CLS_OTHER_LOSSES)


@pytest.mark.parametrize('key', sorted(CLS_OTHER_LOSSES))
def test_cls_stage1_with_another_loss_has_no_temperature_rule(key):
    loss = Config.fromfile(plan.stage1_config(key),
                           import_custom_modules=False).model.head.loss_contrast
    assert loss.type == CLS_OTHER_LOSSES[key] and plan.stage1_tdl(key) is None


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
    assert set(seg.METHODS) == (set(SEG_SWITCHES) | {'ce', 'ldam', 'softiou', 'lovasz'}
                                | set(SEG_OTHER_LOSSES))


#: the paper's rivals: row -> (stage-1 config, its loss, stage-2 config and loss or None)
CLS_RIVALS = {
    'ldam_drw': ('ldam-drw_resnet18s_200e_fmnist-lt-28.py', 'LDAMLoss', None),
    'gcl': ('gcl_resnet18s_stage1-200e_fmnist-lt-28.py', 'GCLLoss',
            ('gcl_resnet18s_stage2-crt-10e_fmnist-lt-28.py', 'GCLLoss')),
}


@pytest.mark.parametrize('method', sorted(CLS_RIVALS))
def test_cls_rival_rows_train_their_cpu_sized_configs(method):
    """The rows run the Fashion-MNIST-LT configs that tests/test_cls/test_rival_configs.py
    trains; the benchmark's width options apply to their cosine heads."""
    import os.path as osp
    spec = plan.METHODS[method]
    stage1, loss, stage2 = CLS_RIVALS[method]
    assert spec.stage1 == method and spec.crt == (stage2 is not None)
    assert osp.basename(plan.stage1_config(method)) == stage1
    head = Config.fromfile(plan.stage1_config(method), import_custom_modules=False).model.head
    assert (head.type, head.loss.type) == ('CosineClsHead', loss)
    assert set(plan.Settings().model_options()) >= {'model.head.in_channels'}
    if stage2 is not None:
        assert osp.basename(plan.stage2_config(method)) == stage2[0]
        cfg = Config.fromfile(plan.stage2_config(method), import_custom_modules=False)
        assert (cfg.model.head.type, cfg.model.head.loss.type) == ('CosineClsHead', stage2[1])
        assert cfg.train_dataloader.sampler.type == 'ClassBalancedSampler'
    # the existing rows keep their stage 2
    assert osp.basename(plan.stage2_config('ce')) == plan.STAGE2_CONFIGS['ce']
    assert osp.basename(plan.stage2_config('bdcl_balance')) == plan.STAGE2_CONFIGS['default']


def test_seg_ldam_row_trains_the_demo_ldam_config_with_no_switches():
    spec = seg.METHODS['ldam']
    assert spec['config'] == seg.LDAM_CFG and seg.method_switches('ldam') == {}
    demo = Config.fromfile(seg.BDCL_CFG, import_custom_modules=False)
    cfg = Config.fromfile(spec['config'], import_custom_modules=False)
    fcn, ocr = cfg.model.decode_head
    assert (ocr.type, ocr.host_type, ocr.loss_decode.type) == ('CosineDecodeHead', 'OCRHead',
                                                               'LDAMLoss')
    assert 'DRWHook' in [h.type for h in cfg.custom_hooks]
    # the same demo model, data and schedule as the BDCL rows
    assert cfg.model.backbone == demo.model.backbone and fcn == demo.model.decode_head[0]
    assert cfg.train_dataloader == demo.train_dataloader and cfg.train_cfg == demo.train_cfg
    assert ocr.channels == demo.model.decode_head[1].channels


#: segmentation method -> the type of the contrastive loss its own demo config sets.
SEG_OTHER_LOSSES = {'tsc': 'TSCLoss'}


@pytest.mark.parametrize('method', sorted(SEG_OTHER_LOSSES))
def test_seg_methods_with_another_loss_train_their_own_demo_config(method):
    spec = seg.METHODS[method]
    assert seg.method_switches(method) == {}
    head = Config.fromfile(spec['config'], import_custom_modules=False).model.decode_head[1]
    assert head.type == 'BDCLOCRHead' and head.loss_contrast.type == SEG_OTHER_LOSSES[method]
    assert head.proj_channels == 128 and head.max_views == 64


@pytest.mark.parametrize('method', ['softiou', 'lovasz'])
def test_seg_host_head_rival_trains_with_the_baselines_loss(method):
    assert seg.method_switches(method) == {}
    bench = Config.fromfile(seg.METHODS[method]['config'], import_custom_modules=False)
    full = Config.fromfile(seg._full_size('baselines', method), import_custom_modules=False)
    assert [h.type for h in bench.model.decode_head] == ['FCNHead', 'OCRHead']
    assert bench.model.decode_head[1].loss_decode == full.model.decode_head[1].loss_decode
    assert bench.model.decode_head[0].loss_decode == full.model.decode_head[0].loss_decode


@pytest.mark.parametrize('method', sorted(seg.METHODS))
def test_seg_contrast_warmup_goes_only_to_a_contrast_head(method):
    """The benchmark's ``contrast_warmup_iters`` option is a BDCL/TSC head argument; a rival on
    the host OCR head or on ``CosineDecodeHead`` (LDAM) would refuse it at build."""
    head = Config.fromfile(seg.METHODS[method]['config'], import_custom_modules=False)
    head = head.model.decode_head[1]
    assert seg.has_contrast(method) == (head.type == 'BDCLOCRHead')
    expected = method not in ('ce', 'ldam', 'softiou', 'lovasz')
    assert seg.has_contrast(method) == expected
