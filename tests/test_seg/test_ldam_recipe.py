"""LDAM-DRW on each model BDCLDecodeHead supports, with the same few lines: the README's recipe for
the stock mmseg configs (UNet, DeepLabV3+, SegFormer, HRNet + OCR) with the BDCL head swapped for
``CosineDecodeHead`` + ``LDAMLoss`` and ``BDCLHook`` for ``DRWHook`` (docs/segmentation.md,
"LDAM-DRW on any model"); 2 Runner iterations on CPU. Also ``CosineDecodeHead``'s ``host_type``
errors and defaulting, which it shares with ``BDCLDecodeHead``."""
import math

import pytest
import torch
from mmengine.logging import MessageHub
from mmseg.registry import MODELS

import bdcl_mm.seg  # noqa: F401
from bdcl_mm.engine.launch import build_runner, load_config, prepare_environment
from bdcl_mm.models.losses import LDAMLoss
from bdcl_mm.seg import CosineClassifierMixin, check_config
from tests._shared.tiny_configs import shrink_hrnet, two_iteration_seg_run
from tests.test_seg.test_bdcl_models import MODELS_UNDER_TEST
from tests.test_seg.test_host_heads import DEEPLABV3PLUS, UNET_FCN
from tests.test_seg.test_readme_recipe import SHRINK, readme_table, recipe, write_config

# the recipe: (BDCL text, LDAM-DRW text), each found exactly once in the README recipe. The
# host's loss_decode is merged into, so LDAM replaces it with _delete_; the OCR cascade restates
# its heads (a list replaces the host's whole), so there the new dict is the whole loss.
SWAPS = [
    ("type='BDCLDecodeHead'", "type='CosineDecodeHead'"),
    ("loss_contrast=dict(type='BDCLLoss', loss_weight=0.1)",
     "loss_decode=dict(_delete_=True, type='LDAMLoss')"),
    ("dict(type='BDCLHook')", "dict(type='DRWHook')"),
]
OCR_SWAPS = [
    ("type='BDCLOCRHead'", "type='CosineDecodeHead', host_type='OCRHead'"),
    ("loss_contrast=dict(type='BDCLLoss', loss_weight=0.1)", "loss_decode=dict(type='LDAMLoss')"),
    ("dict(type='BDCLHook')", "dict(type='DRWHook')"),
]


def ldam_recipe(model):
    """The README recipe of ``model`` with the LDAM-DRW swaps."""
    text = recipe(model)
    for old, new in OCR_SWAPS if model == 'HRNet+OCR' else SWAPS:
        if old in text:
            assert text.count(old) == 1, old
            text = text.replace(old, new)
    assert 'BDCL' not in text
    return text


def _shrink(cfg, model, data_root, tmp_path):
    if model == 'HRNet+OCR':
        shrink_hrnet(cfg.model)
    else:
        MODELS_UNDER_TEST[SHRINK[model]][1](cfg)
    two_iteration_seg_run(cfg, data_root)
    cfg.custom_hooks[0].update(start=1, cache_dir=str(tmp_path / 'cache'), progress=False)
    cfg.work_dir = str(tmp_path / 'work')
    cfg.randomness = dict(seed=0)


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    from bdcl_mm.datasets.synthetic_us import write_dataset
    root = tmp_path_factory.mktemp('tui')
    write_dataset(str(root), 4, 2, size=64, seed=0, progress=False)
    return str(root)


@pytest.mark.parametrize('model', sorted(SHRINK) + ['HRNet+OCR'])
def test_ldam_recipe_on_the_stock_config_trains_two_iterations(model, data_root, tmp_path):
    cfg = load_config(write_config(tmp_path, ldam_recipe(model)))
    check_config(cfg)
    assert [h.type for h in cfg.custom_hooks] == ['DRWHook', 'SegNumClassesCheckHook']
    _shrink(cfg, model, data_root, tmp_path)
    prepare_environment(cfg)
    runner = build_runner(cfg)
    try:
        runner.train()
    finally:
        MessageHub.get_current_instance().update_info('iter', 0)
    heads = [m for m in runner.model.modules() if isinstance(m, CosineClassifierMixin)]
    host = 'OCRHead' if model == 'HRNet+OCR' else readme_table()[model][1]
    assert [type(h).__name__ for h in heads] == [f'Cosine{host}']
    assert isinstance(heads[0].loss_decode, LDAMLoss)
    assert heads[0].loss_decode.class_counts.sum() > 0
    assert not torch.equal(heads[0].loss_decode.class_weight, torch.ones(3))  # DRW from iter 1
    key = 'decode_1.loss_ldam' if model == 'HRNet+OCR' else 'decode.loss_ldam'
    losses = runner.message_hub.get_scalar(f'train/{key}').data[0]
    assert len(losses) == 2 and all(math.isfinite(v) and v > 0 for v in losses)


@pytest.mark.parametrize('model,host_type', [('UNet', 'FCNHead'),
                                             ('DeepLabV3+', 'DepthwiseSeparableASPPHead')])
def test_tools_fill_a_left_out_host_type_of_the_cosine_head(model, host_type, tmp_path):
    text = ldam_recipe(model).replace(f'host_type={host_type!r}, ', '')
    assert 'host_type' not in text
    assert load_config(write_config(tmp_path, text)).model.decode_head.host_type == host_type


def test_cosine_head_host_type_errors_name_the_heads_that_fit():
    with pytest.raises(ValueError) as raised:
        MODELS.build(dict(type='CosineDecodeHead', **DEEPLABV3PLUS))
    message = str(raised.value)
    assert message.startswith('CosineDecodeHead needs host_type')
    assert message.endswith('take them all: DepthwiseSeparableASPPHead.')
    with pytest.raises(ValueError) as raised:
        MODELS.build(dict(type='CosineDecodeHead', host_type='PSPHead', **UNET_FCN))
    message = str(raised.value)
    assert message.startswith("CosineDecodeHead: host_type='PSPHead' does not take "
                              'concat_input, num_convs')
    assert 'FCNHead' in message.split('take them all: ')[1].rstrip('.').split(', ')
    with pytest.raises(TypeError, match=r"host_type='PointHead' has its own loss\(\)"):
        MODELS.build(dict(type='CosineDecodeHead', host_type='PointHead', **UNET_FCN))
