"""The cRT stage-2 guard: a tiny real Runner stage 2 stops unless ``load_from`` fills every
backbone tensor (keys and shapes), and runs on the loaded backbone when it does."""
import os.path as osp
import re

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.runner import Runner
from mmpretrain.registry import MODELS

import bdcl_mm.cls  # noqa: F401  (registers the hook and the heads)
from bdcl_mm.cls import backbone_load, check_config
from tests._shared.paths import REPO
from tests._shared.tiny_configs import cls_tool_config
from tests.test_tools.conftest import make_cls_data

STAGE2 = """
_base_ = ['./tiny_resnet.py']
model = dict(
    backbone=dict(frozen_stages=4, norm_eval=True),
    head=dict(_delete_=True, type='CRTClsHead', num_classes=3, in_channels=64, topk=(1, ),
              loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))
train_cfg = dict(by_epoch=True, max_epochs=1, val_interval=2)
"""


def stage2_config(tmp_path, load_from, hook=True):
    data = tmp_path / 'data'
    if not data.exists():
        make_cls_data(str(data))
    (tmp_path / 'tiny_resnet.py').write_text(cls_tool_config(data))
    path = tmp_path / 'stage2.py'
    hooks = "custom_hooks = [dict(type='BackboneLoadCheckHook')]\n" if hook else ''
    path.write_text(STAGE2 + hooks)
    cfg = Config.fromfile(str(path))
    cfg.load_from = str(load_from)
    cfg.work_dir = str(tmp_path / 'work')
    return cfg


def stage1_state(base_channels=8):
    """A state dict of the tiny ResNet-18 classifier (random, with recognisable BN stats)."""
    cfg = dict(type='ImageClassifier',
               backbone=dict(type='ResNet', depth=18, stem_channels=8,
                             base_channels=base_channels),
               neck=dict(type='GlobalAveragePooling'),
               head=dict(type='LinearClsHead', num_classes=3, in_channels=8 * base_channels))
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg)
    state = model.state_dict()
    state['backbone.bn1.running_mean'] = torch.arange(8.0)
    return state


def save(tmp_path, state, name='stage1.pth'):
    path = tmp_path / name
    torch.save({'state_dict': state, 'meta': {}}, str(path))
    return path


def test_matching_checkpoint_trains_on_the_loaded_backbone(tmp_path):
    state = stage1_state()
    runner = Runner.from_cfg(stage2_config(tmp_path, save(tmp_path, state)))
    runner.train()
    loaded = runner.model.backbone.state_dict()
    for key, value in state.items():
        if key.startswith('backbone.'):
            assert torch.equal(loaded[key[len('backbone.'):]], value), key


def test_checkpoint_with_other_keys_stops_the_run_naming_them(tmp_path):
    # the keys carry another prefix, so nothing lands in the backbone
    state = {f'encoder.{k}': v for k, v in stage1_state().items()}
    runner = Runner.from_cfg(stage2_config(tmp_path, save(tmp_path, state)))
    total = backbone_load(runner.model, {}).total
    with pytest.raises(ValueError) as error:
        runner.train()
    message = str(error.value)
    assert f'fills only 0 of the {total} backbone tensors' in message
    assert f'{total} missing (backbone.conv1.weight, backbone.bn1.weight' in message
    assert re.search(rf'\.\.\. \({total - 5} more\)', message)
    assert 'Point load_from at the stage-1 checkpoint' in message


def test_checkpoint_of_another_width_stops_the_run_naming_the_shapes(tmp_path):
    state = stage1_state(base_channels=16)
    runner = Runner.from_cfg(stage2_config(tmp_path, save(tmp_path, state)))
    with pytest.raises(ValueError, match=r'with another shape \(backbone\.layer1\.0\.conv1\.weight '
                       r'\(16, 8, 3, 3\) in the checkpoint, \(8, 8, 3, 3\) in the model'):
        runner.train()


def test_a_single_missing_tensor_is_refused(tmp_path):
    state = stage1_state()
    del state['backbone.layer4.1.bn2.running_var']
    runner = Runner.from_cfg(stage2_config(tmp_path, save(tmp_path, state)))
    with pytest.raises(ValueError, match=r'1 missing \(backbone\.layer4\.1\.bn2\.running_var\)'):
        runner.train()


def test_module_prefix_is_stripped_as_mmengine_does(tmp_path):
    state = {f'module.{k}': v for k, v in stage1_state().items()}
    runner = Runner.from_cfg(stage2_config(tmp_path, save(tmp_path, state)))
    runner.train()
    assert torch.equal(runner.model.backbone.bn1.running_mean, torch.arange(8.0))


def test_check_config_adds_the_guard_to_a_crt_config_without_it(tmp_path):
    cfg = stage2_config(tmp_path, save(tmp_path, stage1_state()), hook=False)
    assert not cfg.get('custom_hooks')
    check_config(cfg)
    assert [h['type'] for h in cfg.custom_hooks] == ['BackboneLoadCheckHook']
    check_config(cfg)  # listed once
    assert len(cfg.custom_hooks) == 1


def test_check_config_adds_the_guard_to_a_gcl_stage2_on_a_frozen_backbone(tmp_path):
    cfg = stage2_config(tmp_path, save(tmp_path, stage1_state()), hook=False)
    cfg.model.head = dict(type='CosineClsHead', num_classes=3, in_channels=64,
                          loss=dict(type='GCLLoss', m=0.1, s=20.0, gamma=1.0))
    cfg.custom_hooks = [dict(type='ClassCountsHook')]
    check_config(cfg)
    assert [h['type'] for h in cfg.custom_hooks] == ['ClassCountsHook', 'BackboneLoadCheckHook']
    stale = save(tmp_path, {k: v for k, v in stage1_state().items() if 'layer4' not in k}, 'p.pth')
    cfg.load_from = str(stale)
    with pytest.raises(ValueError, match='layer4'):
        Runner.from_cfg(cfg).train()


@pytest.mark.parametrize('path', [
    'configs/fmnist_lt/gcl_resnet18s_stage2-crt-10e_fmnist-lt-28.py',
    'configs/baselines/gcl_resnet50_stage2-crt-30e_isic2019-224.py',
])
def test_shipped_gcl_stage2_configs_list_the_guard(path):
    cfg = Config.fromfile(osp.join(REPO, path))
    assert 'BackboneLoadCheckHook' in [h['type'] for h in cfg.custom_hooks]
