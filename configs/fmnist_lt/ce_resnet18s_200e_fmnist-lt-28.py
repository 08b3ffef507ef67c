# CPU-sized recipe on Fashion-MNIST-LT (tools/dataset_converters/fashion_mnist_lt.py), baseline CE:
# a narrow CIFAR-style ResNet-18 (stem/base width 16, 128-d features) on 28x28 grayscale.
# Another cut of the data (e.g. --order hard-tail into data/fmnist_lt_hardtail):
#   --cfg-options train_dataloader.dataset.data_root=data/fmnist_lt_hardtail \
#       val_dataloader.dataset.data_root=data/fmnist_lt_hardtail \
#       test_dataloader.dataset.data_root=data/fmnist_lt_hardtail
_base_ = [
    'mmpretrain::_base_/models/resnet18_cifar.py',
    '../_base_/datasets/fmnist_lt.py',
    'mmpretrain::_base_/default_runtime.py',
]
custom_imports = dict(imports=['bdcl_mm.cls'], allow_failed_imports=False)
default_scope = 'mmpretrain'

num_classes = 10
max_epochs = 200

model = dict(
    backbone=dict(in_channels=1, stem_channels=16, base_channels=16),
    head=dict(num_classes=num_classes, in_channels=128))

optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=1e-4))
# `end` defaults to train_cfg.max_epochs, so `--cfg-options train_cfg.max_epochs=N` is enough.
param_scheduler = dict(type='CosineAnnealingLR', by_epoch=True, begin=0)
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=10)
val_cfg = dict()
test_cfg = dict()

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=20),
    checkpoint=dict(type='CheckpointHook', interval=50, max_keep_ckpts=1, save_last=True))
