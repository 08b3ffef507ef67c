# BDCL stage 2 (classifier re-training, cRT) on Hyper-Kvasir: the stage-1 backbone is loaded and
# frozen (weights and BatchNorm statistics: frozen_stages=4, norm_eval=True); a fresh linear
# classifier (CRTClsHead, keys head.crt_fc.*, so no stage-1 head key is loaded into it) is trained
# with CE and class-balanced sampling (num_samples_cls=4).
#   python tools/train.py configs/bdcl/resnet50_hyper_kvasir_stage2_crt.py \
#       --cfg-options load_from=work_dirs/resnet50_hyper_kvasir_stage1_bdcl/epoch_100.pth
# load_from is non-strict: the log lists the stage-1 projector/classifier/loss keys as
# unexpected and head.crt_fc.* as missing; every backbone.* key must load.
_base_ = [
    'mmpretrain::_base_/models/resnet50.py',
    '../_base_/datasets/hyper_kvasir.py',
    'mmpretrain::_base_/default_runtime.py',
]
custom_imports = dict(imports=['bdcl_mm.cls'], allow_failed_imports=False)
default_scope = 'mmpretrain'

num_classes = 23
max_epochs = 30

model = dict(
    backbone=dict(frozen_stages=4, norm_eval=True),
    head=dict(
        _delete_=True,
        type='CRTClsHead',
        num_classes=num_classes,
        in_channels=2048,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))

train_dataloader = dict(sampler=dict(_delete_=True, type='ClassBalancedSampler', num_samples_cls=4))

optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=1e-4))
param_scheduler = dict(type='CosineAnnealingLR', by_epoch=True, begin=0)
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=1)
val_cfg = dict()
test_cfg = dict()

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(type='CheckpointHook', interval=5, max_keep_ckpts=2, save_last=True))
# Set to the stage-1 checkpoint (required).
load_from = None
