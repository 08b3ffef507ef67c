# Fashion-MNIST-LT, BDCL stage 1 with the paper's stated TDL gradient (tdl='paper', the benchmark's
# 'BDCL + cRT (TDL paper)' row; the plugin's default rule, 'balance', is
# resnet18s_fmnist_lt_stage1_bdcl_tdl_balance.py): two views per image, projection 128 -> 128 -> 128,
# linear classifier on detached features. Stage 2: resnet18s_fmnist_lt_stage2_crt.py with
#   --cfg-options load_from=work_dirs/resnet18s_fmnist_lt_stage1_bdcl/epoch_200.pth
_base_ = ['./resnet18s_fmnist_lt_ce.py']

model = dict(
    type='BDCLImageClassifier',
    head=dict(
        _delete_=True,
        type='BDCLClsHead',
        num_classes=10,
        in_channels=128,
        proj_channels=(128, 128),
        loss_contrast=dict(
            type='BDCLLoss', tdl='paper', tau_init=0.1, use_prototypes=True, momentum=0.1),
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
