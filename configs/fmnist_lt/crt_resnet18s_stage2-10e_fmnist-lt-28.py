# Fashion-MNIST-LT, stage 2 (cRT) for any stage 1 (BDCL, SCL, ablations, CE): frozen backbone
# (weights and BN statistics), fresh CRTClsHead, CE with class-balanced sampling (4 per class).
#   python tools/train.py configs/fmnist_lt/crt_resnet18s_stage2-10e_fmnist-lt-28.py \
#       --cfg-options load_from=work_dirs/bdcl_resnet18s_stage1-200e_fmnist-lt-28/epoch_200.pth
_base_ = ['./ce_resnet18s_200e_fmnist-lt-28.py']

max_epochs = 10

model = dict(
    backbone=dict(frozen_stages=4, norm_eval=True),
    head=dict(
        _delete_=True,
        type='CRTClsHead',
        num_classes=10,
        in_channels=128,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))
train_dataloader = dict(sampler=dict(_delete_=True, type='ClassBalancedSampler', num_samples_cls=4))
train_cfg = dict(max_epochs=max_epochs, val_interval=1)
default_hooks = dict(checkpoint=dict(interval=5))
# Stops the run unless load_from fills every backbone tensor (keys and shapes).
custom_hooks = [dict(type='BackboneLoadCheckHook')]
# Set to the stage-1 checkpoint (required).
load_from = None
