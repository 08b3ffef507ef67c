"""The README's classification snippets: the stage-1 and stage-2 lines pasted under mmpretrain's
own ResNet configs, and the inference snippet run as written on a tiny stage-2 model."""
import os.path as osp
import re

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.registry import DATA_SAMPLERS, HOOKS, DefaultScope
from mmpretrain.registry import METRICS, MODELS

import bdcl_mm.cls  # noqa: F401

from tests._shared.paths import REPO as ROOT
CLASSES = ('nevus', 'melanoma', 'keratosis')


def readme_section():
    with open(osp.join(ROOT, 'README.md'), encoding='utf-8') as f:
        return f.read()


def indented_blocks(text):
    """The indented code blocks of ``text``, unindented, in order."""
    blocks = re.findall(r'\n\n((?:    .*\n|\n(?=    ))+)', text)
    return ['\n'.join(line[4:] for line in block.splitlines()) for block in blocks]


def recipe_snippets():
    """The stage-1 and stage-2 blocks of "Add BDCL to your model" (after the segmentation one)."""
    text = readme_section()
    section = text[text.index('### Add BDCL to your model'):text.index('### Train and test')]
    blocks = [b for b in indented_blocks(section) if "imports=['bdcl_mm.cls']" in b]
    assert len(blocks) == 2, 'expected the stage-1 and the stage-2 block'
    return blocks


def inference_snippet():
    text = readme_section()
    section = text[text.index('### Inference'):text.index('## Results')]
    blocks = [b for b in indented_blocks(section) if 'ImageClassificationInferencer' in b]
    assert len(blocks) == 1
    return blocks[0]


def config_under(host, snippet, tmp_path):
    path = tmp_path / 'with_bdcl.py'
    path.write_text(f"_base_ = ['mmpretrain::{host}']\n{snippet}\n")
    return Config.fromfile(str(path))


def write_image(path, size=40, seed=0):
    image = np.random.default_rng(seed).integers(0, 255, (size, size, 3), dtype=np.uint8)
    cv2.imwrite(str(path), image)


def test_stage1_snippet_trains_bdcl_on_two_views(tmp_path):
    stage1, _ = recipe_snippets()
    cfg = config_under('resnet/resnet50_8xb32_in1k.py', stage1, tmp_path)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg.model)
        pipeline = Compose(cfg.train_dataloader.dataset.pipeline)
    assert type(model).__name__ == 'BDCLImageClassifier'
    assert type(model.head).__name__ == 'BDCLClsHead' and model.head.num_classes == 8
    assert [h.type for h in cfg.custom_hooks] == ['BDCLHook'] and HOOKS.get('BDCLHook')
    write_image(tmp_path / 'a.png')
    samples = [pipeline(dict(img_path=str(tmp_path / 'a.png'), gt_label=label)) for label in (0, 1)]
    assert len(samples[0]['inputs']) == 2  # two views of each image
    data = model.data_preprocessor(
        dict(inputs=[s['inputs'] for s in samples], data_samples=[s['data_samples']
                                                                   for s in samples]), True)
    model.train()
    losses = model(**data, mode='loss')
    assert set(losses) >= {'loss_bdcl', 'loss_cls'}
    assert all(torch.isfinite(v) for k, v in losses.items() if k.startswith('loss'))


def test_stage2_snippet_is_crt_with_class_balanced_sampling(tmp_path):
    _, stage2 = recipe_snippets()
    cfg = config_under('resnet/resnet50_8xb32_in1k.py', stage2, tmp_path)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg.model)
    assert type(model.head).__name__ == 'CRTClsHead' and model.head.num_classes == 8
    assert all(not p.requires_grad for p in model.backbone.parameters())
    assert cfg.train_dataloader.sampler == dict(type='ClassBalancedSampler', num_samples_cls=4)
    assert DATA_SAMPLERS.get('ClassBalancedSampler') and METRICS.get('ImbalanceMetric')
    assert cfg.val_evaluator.type == cfg.test_evaluator.type == 'ImbalanceMetric'
    assert cfg.load_from.endswith('epoch_100.pth')


@pytest.fixture
def tiny_stage2(tmp_path):
    """A stage-2 config from the README lines on a narrow ResNet-18, and a checkpoint of it."""
    _, stage2 = recipe_snippets()
    config_under('resnet/resnet18_8xb32_in1k.py', stage2, tmp_path)
    config = tmp_path / 'tiny_stage2.py'
    config.write_text("""_base_ = ['./with_bdcl.py']
model = dict(backbone=dict(stem_channels=8, base_channels=8),
             head=dict(num_classes=3, in_channels=64))
test_pipeline = [dict(type='LoadImageFromFile'), dict(type='ResizeEdge', scale=32),
                 dict(type='CenterCrop', crop_size=32), dict(type='PackInputs')]
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
""")
    cfg = Config.fromfile(str(config))
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg.model)
    checkpoint = tmp_path / 'epoch_30.pth'
    torch.save({'state_dict': model.state_dict(), 'meta': {'dataset_meta': {'classes': CLASSES}}},
               str(checkpoint))
    return config, checkpoint


def test_the_readme_classification_inference_snippet_runs(tiny_stage2, tmp_path, monkeypatch):
    config, checkpoint = tiny_stage2
    image = tmp_path / 'ISIC_0000000.jpg'
    write_image(image)
    snippet = inference_snippet()
    for name, value in (('config', config), ('checkpoint', checkpoint), ('image', image)):
        pattern = rf"^{name} = '[^']+'$"
        assert re.search(pattern, snippet, flags=re.M), f'the snippet assigns no {name}'
        snippet = re.sub(pattern, f'{name} = {str(value)!r}', snippet, flags=re.M)
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(compile(snippet, 'README.md', 'exec'), namespace)
    result = namespace['result']
    assert type(namespace['model'].head).__name__ == 'CRTClsHead'
    assert result['pred_class'] == CLASSES[result['pred_label']]
    assert len(result['pred_scores']) == len(CLASSES)
    assert 0 <= result['pred_score'] <= 1
