"""The README's "Add BDCL to your model" lines, applied as printed to mmseg's own stock configs of
each supported model (its table says what changes per model), then 2 Runner iterations on CPU.

The recipe is read out of README.md; only the sizes (widths, 64x64 images, no augmentation), the
data folder and the schedule are shrunk afterwards, as tests/test_seg/test_bdcl_models.py does."""
import ast
import math
import os
import os.path as osp
import re

import pytest
from mmengine.config import Config
from mmengine.logging import MessageHub

import bdcl_mm.seg  # noqa: F401
from bdcl_mm.datasets.synthetic_us import write_dataset
from bdcl_mm.engine.launch import build_runner, load_config, prepare_environment
from bdcl_mm.seg import PixelContrastMixin, check_config
from tests._shared.paths import REPO
from tests.test_seg.test_bdcl_models import MODELS_UNDER_TEST

DATA_KEYS = ('train_dataloader', 'val_dataloader', 'test_dataloader', 'val_evaluator',
             'test_evaluator')
# README table row -> the shrink of tests/test_seg/test_bdcl_models.py
SHRINK = {'UNet': 'unet_fcn', 'DeepLabV3+': 'deeplabv3plus', 'SegFormer': 'segformer'}
OCR_HOST = 'ocrnet/ocrnet_hr48_4xb4-80k_ade20k-512x512.py'


def _section():
    with open(osp.join(REPO, 'README.md'), encoding='utf-8') as f:
        text = f.read()
    return text[text.index('### Add BDCL to your model'):text.index('### Train and test')]


def _blocks():
    """The section's indented code blocks, de-indented."""
    return ['\n'.join(line[4:] for line in block.splitlines()) + '\n'
            for block in re.findall(r'\n\n((?:    .*\n)+)', _section())]


def readme_snippet():
    """The lines for an ``EncoderDecoder`` (the block with ``BDCLDecodeHead``)."""
    return next(b for b in _blocks() if "type='BDCLDecodeHead'" in b)


def readme_ocr_snippet():
    """The ``_base_`` and ``model`` for HRNet + OCR (the block with ``BDCLOCRHead``)."""
    return next(b for b in _blocks() if "type='BDCLOCRHead'" in b)


def readme_table():
    """``{model: (host config, host_type, keep the auxiliary_head line)}`` from the table."""
    rows = re.findall(r"^\| (\S+) \| `mmseg::([^`]+)` \| `'(\w+)'` \| (keep|remove) \|$",
                      _section(), re.M)
    return {model: (host, host_type, aux == 'keep') for model, host, host_type, aux in rows}


def _statements(code):
    tree = ast.parse(code)
    return {node.targets[0].id: ast.get_source_segment(code, node) for node in tree.body}


def recipe(model):
    """The config text a user writes for ``model`` ('UNet', ..., or 'HRNet+OCR')."""
    snippet = readme_snippet()
    if model == 'HRNet+OCR':
        ours = _statements(readme_ocr_snippet())
        lines = _statements(snippet)
        lines.update(_base_=ours['_base_'], model=ours['model'])
        return '\n'.join(lines.values()) + '\n'
    host, host_type, keep_aux = readme_table()[model]
    stock_host, stock_type, _ = readme_table()['UNet']
    snippet = snippet.replace(f"'mmseg::{stock_host}'", f"'mmseg::{host}'")
    snippet = snippet.replace(f"host_type={stock_type!r}", f"host_type={host_type!r}")
    if not keep_aux:
        snippet = ''.join(line for line in snippet.splitlines(True)
                          if 'auxiliary_head=' not in line)
    return snippet


def write_config(tmp_path, text, name='bdcl_tui.py'):
    """``text`` saved as ``configs/my/<name>`` of a tree whose ``configs/_base_`` is the repo's."""
    configs = tmp_path / 'configs'
    (configs / 'my').mkdir(parents=True, exist_ok=True)
    if not (configs / '_base_').exists():
        os.symlink(osp.join(REPO, 'configs', '_base_'), configs / '_base_')
    path = configs / 'my' / name
    path.write_text(text)
    return str(path)


def test_readme_names_each_supported_model():
    table = readme_table()
    assert sorted(table) == sorted(SHRINK)
    assert table['UNet'][0] in readme_snippet() and OCR_HOST in readme_ocr_snippet()
    assert not table['SegFormer'][2] and table['UNet'][2] and table['DeepLabV3+'][2]


def test_tui_swap_base_holds_the_data_of_tui_512x512():
    whole = Config.fromfile(osp.join(REPO, 'configs/_base_/datasets/tui_512x512.py'))
    swap = Config.fromfile(osp.join(REPO, 'configs/_base_/datasets/tui_512x512_swap.py'))
    assert list(swap.keys()) == ['tui']
    assert swap.tui.num_classes == whole.num_classes and swap.tui.crop_size == whole.crop_size
    for key in DATA_KEYS:
        if key.endswith('_evaluator'):  # a list replaces the stock evaluator without a merge
            assert swap.tui[key] == whole[key], key
            continue
        part = swap.tui[key].to_dict()
        assert part.pop('_delete_') is True
        assert part == whole[key].to_dict(), key


def test_tui_512x512_beside_a_full_stock_config_is_refused_by_mmengine(tmp_path):
    path = write_config(
        tmp_path, "_base_ = ['mmseg::unet/unet-s5-d16_fcn_4xb4-40k_drive-64x64.py', "
        "'../_base_/datasets/tui_512x512.py']\n")
    with pytest.raises(KeyError, match='Duplicate key is not allowed among bases'):
        Config.fromfile(path)


@pytest.mark.parametrize('model', sorted(SHRINK) + ['HRNet+OCR'])
def test_recipe_swaps_data_and_heads_of_the_stock_config(model, tmp_path):
    cfg = load_config(write_config(tmp_path, recipe(model)))
    check_config(cfg)  # every head has the dataset's 3 classes
    for key in DATA_KEYS:
        assert cfg[key] == Config.fromfile(
            osp.join(REPO, 'configs/_base_/datasets/tui_512x512.py'))[key], key
    assert cfg.model.data_preprocessor.size == (512, 512)
    assert [h.type for h in cfg.custom_hooks] == ['BDCLHook', 'SegNumClassesCheckHook']


def test_unet_recipe_without_the_auxiliary_head_line_is_stopped(tmp_path):
    text = ''.join(line for line in recipe('UNet').splitlines(True)
                   if 'auxiliary_head=' not in line)
    cfg = load_config(write_config(tmp_path, text))
    with pytest.raises(ValueError,
                       match=r'model\.auxiliary_head\.num_classes=2 but .* has 3 classes'):
        check_config(cfg)


@pytest.mark.parametrize('model,host_type', [('UNet', 'FCNHead'),
                                             ('DeepLabV3+', 'DepthwiseSeparableASPPHead')])
def test_tools_fill_a_left_out_host_type_from_the_stock_config(model, host_type, tmp_path):
    text = recipe(model).replace(f'host_type={host_type!r}, ', '')
    assert 'host_type' not in text
    path = write_config(tmp_path, text)
    assert 'host_type' not in Config.fromfile(path).model.decode_head
    assert load_config(path).model.decode_head.host_type == host_type
    # a config that inherits the recipe file: the host type is found through its bases
    child = write_config(tmp_path, "_base_ = ['./bdcl_tui.py']\n"
                         "model = dict(decode_head=dict(max_views=50))\n", 'child.py')
    assert load_config(child).model.decode_head.host_type == host_type


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('tui')
    write_dataset(str(root), 4, 2, size=64, seed=0, progress=False)
    return str(root)


def shrink(cfg, model, data_root, work_dir):
    """CPU sizes: tiny widths, no download, 64x64 images as they are, 2 iterations."""
    name = 'hrnet_ocr' if model == 'HRNet+OCR' else SHRINK[model]
    cfg.model.pretrained = None
    cfg.model.data_preprocessor.size = (64, 64)
    head = MODELS_UNDER_TEST[name][1](cfg)
    head.update(max_views=32, max_samples=128)
    pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='LoadAnnotations', reduce_zero_label=False),
        dict(type='PackSegInputs'),
    ]
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].update(batch_size=2, num_workers=0, persistent_workers=False)
        cfg[loader].dataset.update(data_root=data_root, pipeline=pipeline)
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=2, val_interval=100)
    cfg.param_scheduler = []
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=100)
    cfg.work_dir = str(work_dir)
    cfg.randomness = dict(seed=0)
    return MODELS_UNDER_TEST[name][2]


@pytest.mark.parametrize('model', sorted(SHRINK) + ['HRNet+OCR'])
def test_recipe_on_the_stock_config_trains_two_iterations(model, data_root, tmp_path):
    cfg = load_config(write_config(tmp_path, recipe(model)))
    loss_key = shrink(cfg, model, data_root, tmp_path / 'work')
    prepare_environment(cfg)
    runner = build_runner(cfg)
    try:
        runner.train()
    finally:
        MessageHub.get_current_instance().update_info('iter', 0)
    heads = [m for m in runner.model.modules() if isinstance(m, PixelContrastMixin)]
    expected = 'BDCLOCRHead' if model == 'HRNet+OCR' else f'BDCL{readme_table()[model][1]}'
    assert [type(h).__name__ for h in heads] == [expected]
    losses = runner.message_hub.get_scalar(f'train/{loss_key}').data[0]
    assert len(losses) == 2 and all(math.isfinite(v) and v > 0 for v in losses)
    assert heads[0].loss_contrast.prototype_valid.any()  # BDCLHook ran
    assert runner.train_dataloader.dataset.__class__.__name__ == 'ThyroidUSDataset'
