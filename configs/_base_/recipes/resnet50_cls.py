# ResNet-50 classification in MMPretrain with this plugin: SGD lr 0.01, momentum 0.9, wd 1e-4,
# cosine schedule over 100 epochs. No dataset: a config adds one of ../datasets/ beside this
# file and sets the head's num_classes.
_base_ = [
    'mmpretrain::_base_/models/resnet50.py',
    'mmpretrain::_base_/default_runtime.py',
]
custom_imports = dict(imports=['bdcl_mm.cls'], allow_failed_imports=False)
default_scope = 'mmpretrain'

max_epochs = 100

model = dict(head=dict(topk=(1, ), loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))

optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=1e-4))
# `end` defaults to train_cfg.max_epochs, so `--cfg-options train_cfg.max_epochs=N` is enough.
param_scheduler = dict(type='CosineAnnealingLR', by_epoch=True, begin=0)
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=5)
val_cfg = dict()
test_cfg = dict()

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(type='CheckpointHook', interval=10, max_keep_ckpts=2, save_last=True))
