# Fashion-MNIST-LT, BDCL stage 1 with the plugin's default temperature rule 'balance' (per-class
# logit gaps balanced, geometric mean tau_init; docs/tdl_rule_choice.md): two views per image,
# projection 128 -> 128 -> 128, linear classifier on detached features. The benchmark's
# 'BDCL + cRT (TDL balance, default)' row. Stage 2: crt_resnet18s_stage2-10e_fmnist-lt-28.py with
#   --cfg-options load_from=work_dirs/bdcl_resnet18s_stage1-200e_fmnist-lt-28/epoch_200.pth
_base_ = ['./ce_resnet18s_200e_fmnist-lt-28.py']

model = dict(
    type='BDCLImageClassifier',
    head=dict(
        _delete_=True,
        type='BDCLClsHead',
        num_classes=10,
        in_channels=128,
        proj_channels=(128, 128),
        loss_contrast=dict(
            type='BDCLLoss', tdl='balance', tau_init=0.1, use_prototypes=True, momentum=0.1),
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        hard_from='classifier'))

view_pipeline = [
    dict(type='RandomResizedCrop', scale=28, crop_ratio_range=(0.35, 1.0)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
]
train_pipeline = [
    dict(type='LoadImageFromFile', color_type='grayscale'),
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackInputs'),
]
train_dataloader = dict(batch_size=256, dataset=dict(pipeline=train_pipeline))

custom_hooks = [dict(type='BDCLHook')]
