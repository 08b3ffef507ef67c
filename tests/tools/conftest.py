"""Fixtures for the tools tests: tiny generated datasets and configs that inherit the hosts' own."""
import os
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np
import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOLS = osp.join(REPO, 'tools')

SEG_CONFIG = """
_base_ = ['mmseg::ocrnet/ocrnet_hr18s_4xb2-80k_cityscapes-512x1024.py']
crop_size = (64, 64)
norm_cfg = dict(type='BN', requires_grad=True)
channels = [8, 16, 32, 64]
model = dict(
    pretrained=None,
    data_preprocessor=dict(size=crop_size),
    backbone=dict(
        norm_cfg=norm_cfg,
        extra=dict(
            stage1=dict(num_blocks=(1, ), num_channels=(16, )),
            stage2=dict(num_blocks=(1, 1), num_channels=(8, 16)),
            stage3=dict(num_modules=1, num_blocks=(1, 1, 1), num_channels=(8, 16, 32)),
            stage4=dict(num_modules=1, num_blocks=(1, 1, 1, 1), num_channels=channels))),
    decode_head=[
        dict(type='FCNHead', in_channels=channels, channels=sum(channels), in_index=(0, 1, 2, 3),
             input_transform='resize_concat', kernel_size=1, num_convs=1, concat_input=False,
             dropout_ratio=-1, num_classes=2, norm_cfg=norm_cfg, align_corners=False,
             loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=0.4)),
        dict(type='OCRHead', in_channels=channels, in_index=(0, 1, 2, 3),
             input_transform='resize_concat', channels=32, ocr_channels=16, dropout_ratio=-1,
             num_classes=2, norm_cfg=norm_cfg, align_corners=False,
             loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    ])
pipeline = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'), dict(type='PackSegInputs')]
dataset = dict(type='BaseSegDataset', data_root='{data_root}',
               metainfo=dict(classes=('background', 'lesion'), palette=[[0, 0, 0], [255, 0, 0]]),
               img_suffix='.png', seg_map_suffix='.png', pipeline=pipeline,
               data_prefix=dict(img_path='img_dir/train', seg_map_path='ann_dir/train'))
train_dataloader = dict(_delete_=True, batch_size=2, num_workers=0, persistent_workers=False,
                        sampler=dict(type='InfiniteSampler', shuffle=True), dataset=dataset)
val_dataloader = dict(_delete_=True, batch_size=1, num_workers=0, persistent_workers=False,
                      sampler=dict(type='DefaultSampler', shuffle=False), dataset=dataset)
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
train_cfg = dict(type='IterBasedTrainLoop', max_iters=4, val_interval=4)
param_scheduler = [dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end=4, by_epoch=False)]
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=2))
randomness = dict(seed=0)
"""

CLS_CONFIG = """
_base_ = ['mmpretrain::_base_/models/resnet18.py', 'mmpretrain::_base_/default_runtime.py']
model = dict(
    backbone=dict(stem_channels=8, base_channels=8),
    head=dict(num_classes=3, in_channels=64, topk=(1, )))
data_preprocessor = dict(num_classes=3, mean=[127.5] * 3, std=[127.5] * 3, to_rgb=True)
pipeline = [dict(type='LoadImageFromFile'), dict(type='PackInputs')]
dataset = dict(type='CustomDataset', data_root='{data_root}', data_prefix='train', pipeline=pipeline)
train_dataloader = dict(batch_size=4, num_workers=0, dataset=dataset,
                        sampler=dict(type='DefaultSampler', shuffle=True))
val_dataloader = dict(batch_size=4, num_workers=0, dataset=dataset,
                      sampler=dict(type='DefaultSampler', shuffle=False))
test_dataloader = val_dataloader
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_evaluator = val_evaluator
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=1e-4))
train_cfg = dict(by_epoch=True, max_epochs=2, val_interval=2)
val_cfg = dict()
test_cfg = dict()
default_hooks = dict(logger=dict(interval=1))
randomness = dict(seed=0)
"""


def make_seg_data(root, num=4, size=64, seed=0):
    """Noisy images with a bright disc; label 1 inside the disc."""
    rng = np.random.default_rng(seed)
    for sub in ('img_dir/train', 'ann_dir/train'):
        os.makedirs(osp.join(root, sub), exist_ok=True)
    yy, xx = np.mgrid[:size, :size]
    for i in range(num):
        cy, cx, r = rng.integers(16, size - 16, 2).tolist() + [int(rng.integers(6, 14))]
        mask = ((yy - cy)**2 + (xx - cx)**2 < r * r).astype(np.uint8)
        img = rng.normal(80, 20, (size, size, 3)) + 100 * mask[..., None]
        cv2.imwrite(osp.join(root, 'img_dir/train', f'{i}.png'), img.clip(0, 255).astype(np.uint8))
        cv2.imwrite(osp.join(root, 'ann_dir/train', f'{i}.png'), mask)


def make_cls_data(root, counts=(8, 4, 2), size=32, seed=0):
    """Class-coloured noisy images in ``root/train/<class>/``, imbalanced by ``counts``."""
    rng = np.random.default_rng(seed)
    for c, n in enumerate(counts):
        folder = osp.join(root, 'train', f'class_{c}')
        os.makedirs(folder, exist_ok=True)
        for i in range(n):
            img = rng.normal(60 + 60 * c, 25, (size, size, 3)).clip(0, 255).astype(np.uint8)
            cv2.imwrite(osp.join(folder, f'{i}.png'), img)


def run_tool(tool, *args, cwd, check=True, extra_env=None):
    """Run ``tools/<tool>`` in a subprocess without the weights-only escape hatch."""
    env = {k: v for k, v in os.environ.items() if k != 'TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD'}
    env.update(extra_env or {})
    proc = subprocess.run([sys.executable, osp.join(TOOLS, tool), *map(str, args)],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    if check and proc.returncode != 0:
        raise AssertionError(f'{tool} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n'
                             f'{proc.stderr[-6000:]}')
    return proc


@pytest.fixture
def seg_setup(tmp_path):
    data = tmp_path / 'data'
    make_seg_data(str(data))
    config = tmp_path / 'tiny_ocr.py'
    config.write_text(SEG_CONFIG.replace('{data_root}', str(data)))
    return tmp_path, config


@pytest.fixture
def cls_setup(tmp_path):
    data = tmp_path / 'data'
    make_cls_data(str(data))
    config = tmp_path / 'tiny_resnet.py'
    config.write_text(CLS_CONFIG.replace('{data_root}', str(data)))
    return tmp_path, config
