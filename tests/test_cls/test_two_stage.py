"""Tiny end-to-end run of the shipped Fashion-MNIST-LT recipe through tools/train.py and test.py:
stage 1 (BDCL, two views, BDCLHook) -> stage 2 (cRT: frozen backbone, fresh classifier,
class-balanced sampling) -> test with ImbalanceMetric, on generated 28x28 gray PNGs."""
import importlib.util
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch

from tests._shared.paths import REPO

TRAIN_COUNTS = [8, 6, 5, 4, 3, 3, 2, 2, 2, 2]  # imbalanced, every class present


def load_tool(name):
    spec = importlib.util.spec_from_file_location(f'bdcl_tool_{name}',
                                                  osp.join(REPO, 'tools', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make_data(root):
    rng = np.random.default_rng(0)
    os.makedirs(osp.join(root, 'meta'))
    for split, counts in (('train', TRAIN_COUNTS), ('test', [2] * 10)):
        folder = osp.join(root, 'images', split)
        os.makedirs(folder)
        lines = []
        for label, count in enumerate(counts):
            for i in range(count):
                image = rng.integers(0, 60, (28, 28)).astype(np.uint8)
                image[:, 2 * label:2 * label + 8] += 150  # a class-dependent stripe
                name = f'{label}_{i}.png'
                cv2.imwrite(osp.join(folder, name), image)
                lines.append(f'{split}/{name} {label}\n')
        with open(osp.join(root, 'meta', f'{split}.txt'), 'w') as f:
            f.writelines(lines)


def options(data_root, **extra):
    opts = [f'{k}_dataloader.dataset.data_root={data_root}' for k in ('train', 'val', 'test')]
    opts += [f'{k}_dataloader.num_workers=0' for k in ('train', 'val', 'test')]
    opts += [
        'train_dataloader.batch_size=8', 'val_dataloader.batch_size=20',
        'test_dataloader.batch_size=20', 'train_cfg.val_interval=1',
        'default_hooks.logger.interval=1', 'default_hooks.checkpoint.interval=1',
        'randomness.seed=0'
    ]
    opts += [f'{k}={v}' for k, v in extra.items()]
    return opts


def backbone_state(checkpoint):
    state = torch.load(checkpoint, map_location='cpu', weights_only=False)['state_dict']
    return {k: v for k, v in state.items() if k.startswith('backbone.')}, state


def test_stage1_stage2_and_test_through_the_tools(tmp_path, capsys):
    data = str(tmp_path / 'data')
    make_data(data)
    train, test = load_tool('train'), load_tool('test')
    cfg_dir = osp.join(REPO, 'configs', 'fmnist_lt')

    stage1_dir = str(tmp_path / 'stage1')
    train.main([
        osp.join(cfg_dir, 'bdcl-tdl-paper_resnet18s_stage1-200e_fmnist-lt-28.py'), '--work-dir',
        stage1_dir, '--cfg-options'
    ] + options(data, **{'train_cfg.max_epochs': 1}))
    stage1_ckpt = osp.join(stage1_dir, 'epoch_1.pth')
    stage1_backbone, stage1_state = backbone_state(stage1_ckpt)
    assert any(k.endswith('running_mean') for k in stage1_backbone)
    # the loss state travels in the checkpoint, and BDCLHook has set prototypes
    assert stage1_state['head.loss_contrast.prototype_valid'].any()
    assert 'head.classifier.weight' in stage1_state
    assert 'head.projector.0.weight' in stage1_state

    stage2_dir = str(tmp_path / 'stage2')
    capsys.readouterr()
    train.main([
        osp.join(cfg_dir, 'crt_resnet18s_stage2-10e_fmnist-lt-28.py'), '--work-dir', stage2_dir,
        '--cfg-options'
    ] + options(data, **{
        'train_cfg.max_epochs': 1,
        'load_from': stage1_ckpt
    }))
    # mmengine's non-strict load_from reports the key mismatch (printed, not logged)
    load_report = capsys.readouterr().out
    unexpected = load_report.split('unexpected key in source state_dict:')[1].split('\n')[0]
    missing = load_report.split('missing keys in source state_dict:')[1].split('\n')[0]
    assert 'head.classifier.weight' in unexpected and 'head.projector.0.weight' in unexpected
    assert 'backbone.' not in unexpected and 'backbone.' not in missing
    assert set(missing.replace(' ', '').split(',')) == {'head.crt_fc.weight', 'head.crt_fc.bias'}
    stage2_ckpt = osp.join(stage2_dir, 'epoch_1.pth')
    stage2_backbone, stage2_state = backbone_state(stage2_ckpt)
    # backbone weights AND BatchNorm statistics unchanged by stage 2
    assert stage2_backbone.keys() == stage1_backbone.keys()
    for key, value in stage1_backbone.items():
        assert torch.equal(stage2_backbone[key], value), key
    # fresh classifier, none of stage 1's head keys
    assert {k
            for k in stage2_state
            if k.startswith('head.')} == {'head.crt_fc.weight', 'head.crt_fc.bias'}

    capsys.readouterr()
    metrics = test.main([
        osp.join(cfg_dir, 'crt_resnet18s_stage2-10e_fmnist-lt-28.py'), stage2_ckpt, '--work-dir',
        str(tmp_path / 'test'), '--cfg-options'
    ] + options(data))
    out = capsys.readouterr().out
    assert 'Per-class results' in out and 'Ankle boot' in out
    for key in ('imbalance/acc', 'imbalance/gmean', 'imbalance/f1', 'imbalance/iba_0.1',
                'accuracy/top1'):
        assert 0.0 <= metrics[key] <= 100.0
    assert metrics['imbalance/acc'] == pytest.approx(metrics['accuracy/top1'])


def test_stage2_without_stage1_weights_is_refused(tmp_path):
    data = str(tmp_path / 'data')
    make_data(data)
    train = load_tool('train')
    with pytest.raises(ValueError, match='load_from=work_dirs'):
        train.main([
            osp.join(REPO, 'configs', 'fmnist_lt', 'crt_resnet18s_stage2-10e_fmnist-lt-28.py'),
            '--work-dir',
            str(tmp_path / 'w'), '--cfg-options'
        ] + options(data))
