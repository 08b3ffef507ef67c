# Baseline: ResNet-50 trained with cross-entropy on ISIC 2019 (instance-balanced sampling).
_base_ = [
    'mmpretrain::_base_/models/resnet50.py',
    '../_base_/datasets/isic2019.py',
    'mmpretrain::_base_/default_runtime.py',
]
custom_imports = dict(imports=['bdcl_mm.cls'], allow_failed_imports=False)
default_scope = 'mmpretrain'

num_classes = 8
max_epochs = 100

model = dict(
    head=dict(
        num_classes=num_classes, topk=(1, ), loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))

optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=1e-4))
# `end` defaults to train_cfg.max_epochs, so `--cfg-options train_cfg.max_epochs=N` is enough.
param_scheduler = dict(type='CosineAnnealingLR', by_epoch=True, begin=0)
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=5)
val_cfg = dict()
test_cfg = dict()

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(type='CheckpointHook', interval=10, max_keep_ckpts=2, save_last=True))
