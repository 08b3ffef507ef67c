"""The SoftIoU lines of docs/segmentation.md ("Rival loss: SoftIoU"), applied as printed to
mmseg's own stock config of each model BDCLDecodeHead supports (the README table's host configs,
and HRNet + OCR), then 2 Runner iterations on CPU with ``loss_softiou`` logged.

Only the sizes (widths, 64x64 images, no augmentation), the data folder and the schedule are shrunk
afterwards, as tests/test_seg/test_readme_recipe.py does for the BDCL lines."""
import math
import os.path as osp
import re

import pytest
from mmengine.logging import MessageHub

import bdcl_mm.seg  # noqa: F401
from bdcl_mm.datasets.synthetic_us import write_dataset
from bdcl_mm.engine.launch import build_runner, load_config, prepare_environment
from bdcl_mm.seg import SoftIoULoss, check_config
from tests._shared.paths import REPO
from tests._shared.tiny_configs import shrink_hrnet, two_iteration_seg_run
from tests.test_seg.test_bdcl_models import MODELS_UNDER_TEST
from tests.test_seg.test_readme_recipe import SHRINK, readme_table, write_config

MODELS = sorted(SHRINK) + ['HRNet+OCR']


def _blocks():
    """The indented code blocks of the SoftIoU section, de-indented."""
    with open(osp.join(REPO, 'docs', 'segmentation.md'), encoding='utf-8') as f:
        text = f.read()
    start = text.index('## Rival loss: SoftIoU')
    end = text.find('\n## ', start + 1)
    section = text[start:end if end >= 0 else len(text)]
    return [
        '\n'.join(line[4:] for line in block.splitlines()) + '\n'
        for block in re.findall(r'\n\n((?:    .*\n)+)', section)
    ]


def recipe(model):
    """The config text a user writes for ``model`` ('UNet', ..., or 'HRNet+OCR')."""
    snippet = next(b for b in _blocks() if 'custom_imports' in b)
    if model == 'HRNet+OCR':
        ocr = next(b for b in _blocks() if 'ocrnet_hr48' in b)
        lines = snippet.splitlines(True)
        start = next(i for i, line in enumerate(lines) if line.startswith('custom_imports'))
        first_model = next(i for i, line in enumerate(lines) if line.startswith('model ='))
        end = next(i for i, line in enumerate(lines) if line.startswith('custom_hooks'))
        ocr_lines = ocr.splitlines(True)
        ocr_model = next(i for i, line in enumerate(ocr_lines) if line.startswith('model ='))
        return ''.join(ocr_lines[:ocr_model] + lines[start:first_model] + ocr_lines[ocr_model:] +
                       lines[end:])
    host, _, keep_aux = readme_table()[model]
    stock_host = readme_table()['UNet'][0]
    snippet = snippet.replace(f"'mmseg::{stock_host}'", f"'mmseg::{host}'")
    if not keep_aux:
        snippet = ''.join(
            line for line in snippet.splitlines(True) if 'auxiliary_head=' not in line)
    return snippet


def _loss_heads(cfg):
    heads = cfg.model.decode_head
    return heads if isinstance(heads, list) else [heads]


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('tui')
    write_dataset(str(root), 4, 2, size=64, seed=0, progress=False)
    return str(root)


def _shrink(cfg, model, data_root, work_dir):
    """CPU sizes: tiny widths, no download, 64x64 images as they are, 2 iterations."""
    if model == 'HRNet+OCR':
        shrink_hrnet(cfg.model)
    else:
        MODELS_UNDER_TEST[SHRINK[model]][1](cfg)
    two_iteration_seg_run(cfg, data_root)
    cfg.work_dir = str(work_dir)
    cfg.randomness = dict(seed=0)


@pytest.mark.parametrize('model', MODELS)
def test_recipe_puts_softiou_in_the_prediction_heads_loss_decode(model, tmp_path):
    cfg = load_config(write_config(tmp_path, recipe(model), 'softiou_tui.py'))
    check_config(cfg)  # every head has the dataset's 3 classes
    *aux, head = _loss_heads(cfg)
    assert head.loss_decode == dict(type='SoftIoULoss', loss_weight=1.0)
    assert 'BDCL' not in head.type  # the host's own head
    for other in aux + ([cfg.model.auxiliary_head] if 'auxiliary_head' in cfg.model else []):
        assert other.loss_decode.type == 'CrossEntropyLoss'
    assert cfg.train_dataloader.dataset.type == 'ThyroidUSDataset'


@pytest.mark.parametrize('model', MODELS)
def test_recipe_on_the_stock_config_trains_two_iterations(model, data_root, tmp_path):
    cfg = load_config(write_config(tmp_path, recipe(model), 'softiou_tui.py'))
    _shrink(cfg, model, data_root, tmp_path / 'work')
    prepare_environment(cfg)
    runner = build_runner(cfg)
    try:
        runner.train()
    finally:
        MessageHub.get_current_instance().update_info('iter', 0)
    losses = [m for m in runner.model.modules() if isinstance(m, SoftIoULoss)]
    assert len(losses) == 1
    key = 'decode_1.loss_softiou' if model == 'HRNet+OCR' else 'decode.loss_softiou'
    values = runner.message_hub.get_scalar(f'train/{key}').data[0]
    assert len(values) == 2 and all(math.isfinite(v) and 0 < v <= 1 for v in values)
    assert runner.iter == 2
