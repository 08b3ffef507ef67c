# BDCL stage 1 on ISIC 2019: ResNet-50 trained with the BDCL loss on two augmented views per
# image (SupCon protocol), projection MLP 2048 -> 2048 -> 128, plus a linear classifier on
# detached pooled features (marks hard examples, gives the validation score).
#   python tools/train.py configs/bdcl/resnet50_isic2019_stage1_bdcl.py
# then stage 2: configs/bdcl/resnet50_isic2019_stage2_crt.py with
#   --cfg-options load_from=work_dirs/resnet50_isic2019_stage1_bdcl/epoch_100.pth
# ImageNet initialisation (downloads the weights):
#   --cfg-options model.backbone.init_cfg.type=Pretrained \
#                 model.backbone.init_cfg.checkpoint=torchvision://resnet50
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
    type='BDCLImageClassifier',
    head=dict(
        _delete_=True,
        type='BDCLClsHead',
        num_classes=num_classes,
        in_channels=2048,
        proj_channels=(2048, 128),
        loss_contrast=dict(
            type='BDCLLoss', tdl='paper', tau_init=0.1, use_prototypes=True, momentum=0.1),
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        hard_from='classifier'))

# No hue jitter: mmcv 2.1's adjust_hue overflows under numpy 2 for negative hue shifts.
view_pipeline = [
    dict(type='RandomResizedCrop', scale=224, crop_ratio_range=(0.2, 1.0)),
    dict(type='RandomFlip', prob=0.5, direction=['horizontal', 'vertical']),
    dict(
        type='RandomApply',
        transforms=[dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4)],
        prob=0.8),
    dict(type='RandomGrayscale', prob=0.2, keep_channels=True),
]
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=1e-4))
# `end` defaults to train_cfg.max_epochs, so `--cfg-options train_cfg.max_epochs=N` is enough.
param_scheduler = dict(type='CosineAnnealingLR', by_epoch=True, begin=0)
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=5)
val_cfg = dict()
test_cfg = dict()

custom_hooks = [dict(type='BDCLHook')]
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(type='CheckpointHook', interval=10, max_keep_ckpts=2, save_last=True))
