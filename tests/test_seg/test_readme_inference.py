"""The README's segmentation inference snippet, run as written on a tiny BDCL HRNet + OCR model
whose config and checkpoint stand in for the demo's."""
import os.path as osp
import re

import cv2
import numpy as np
import torch
from mmengine.config import Config
from mmseg.registry import MODELS

import bdcl_mm.seg  # noqa: F401

from tests._shared.paths import REPO as ROOT
CLASSES = ('background', 'benign', 'malignant')

# mmseg's packaged HRNet-W18-small + OCR shrunk, with BDCLOCRHead at decode_head[1] and the
# plugin loaded by custom_imports, as in the shipped configs.
TINY = """
_base_ = ['mmseg::ocrnet/ocrnet_hr18s_4xb2-80k_cityscapes-512x1024.py']
custom_imports = dict(imports=['bdcl_mm.seg'], allow_failed_imports=False)
norm_cfg = dict(type='BN', requires_grad=True)
channels = [8, 16, 32, 64]
model = dict(
    pretrained=None,
    data_preprocessor=dict(size=(64, 64)),
    backbone=dict(norm_cfg=norm_cfg, extra=dict(
        stage1=dict(num_blocks=(1, ), num_channels=(16, )),
        stage2=dict(num_blocks=(1, 1), num_channels=(8, 16)),
        stage3=dict(num_modules=1, num_blocks=(1, 1, 1), num_channels=(8, 16, 32)),
        stage4=dict(num_modules=1, num_blocks=(1, 1, 1, 1), num_channels=channels))),
    decode_head=[
        dict(type='FCNHead', in_channels=channels, channels=sum(channels), in_index=(0, 1, 2, 3),
             input_transform='resize_concat', kernel_size=1, num_convs=1, concat_input=False,
             dropout_ratio=-1, num_classes=3, norm_cfg=norm_cfg, align_corners=False,
             loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=0.4)),
        dict(type='BDCLOCRHead', in_channels=channels, in_index=(0, 1, 2, 3),
             input_transform='resize_concat', channels=32, ocr_channels=16, dropout_ratio=-1,
             num_classes=3, norm_cfg=norm_cfg, align_corners=False, proj_channels=16,
             loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
             loss_contrast=dict(type='BDCLLoss', loss_weight=0.1)),
    ])
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(64, 64), keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs'),
]
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
"""


def readme_snippet(heading, index):
    """The ``index``-th indented code block after ``heading`` in README.md, unindented."""
    with open(osp.join(ROOT, 'README.md'), encoding='utf-8') as f:
        section = f.read().split(heading, 1)[1]
    blocks = re.findall(r'\n\n((?:    .*\n|\n(?=    ))+)', section)
    return '\n'.join(line[4:] for line in blocks[index].splitlines())


def set_path(snippet, name, value):
    """``snippet`` with its assignment ``name = '...'`` pointing at ``value``."""
    pattern = rf"^{name} = '[^']+'$"
    assert re.search(pattern, snippet, flags=re.M), f'the snippet assigns no {name}'
    return re.sub(pattern, f'{name} = {str(value)!r}', snippet, flags=re.M)


def test_the_readme_segmentation_inference_snippet_runs(tmp_path, monkeypatch):
    config = tmp_path / 'tiny_bdcl_ocr.py'
    config.write_text(TINY)
    model = MODELS.build(Config.fromfile(str(config)).model)
    checkpoint = tmp_path / 'iter_1.pth'
    torch.save({'state_dict': model.state_dict(),
                'meta': {'dataset_meta': {'classes': CLASSES,
                                          'palette': [[0, 0, 0], [0, 255, 0], [255, 0, 0]]}}},
               str(checkpoint))
    image = tmp_path / 'tus_val_00000.png'
    rng = np.random.default_rng(0)
    cv2.imwrite(str(image), rng.integers(0, 255, (48, 64), dtype=np.uint8))

    snippet = readme_snippet('### Inference', 0)
    assert 'init_model(' in snippet and 'MMSegInferencer(' in snippet
    for name, value in (('config', config), ('checkpoint', checkpoint), ('image', image)):
        snippet = set_path(snippet, name, value)
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(compile(snippet, 'README.md', 'exec'), namespace)

    assert type(namespace['model'].decode_head[1]).__name__ == 'BDCLOCRHead'
    assert namespace['model'].dataset_meta['classes'] == CLASSES
    label_map = namespace['label_map']
    assert label_map.shape == (1, 48, 64) and int(label_map.max()) < len(CLASSES)
    preds = list((tmp_path / 'outputs' / 'pred').glob('*.png'))
    assert len(preds) == 1
    pred = cv2.imread(str(preds[0]), cv2.IMREAD_UNCHANGED)
    assert pred.shape == (48, 64)
    np.testing.assert_array_equal(pred, label_map[0].numpy())
    assert cv2.imread(str(tmp_path / 'outputs' / 'vis' / image.name)).shape == (48, 64, 3)
