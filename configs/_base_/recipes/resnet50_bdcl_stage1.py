# BDCL stage 1 with ResNet-50: the BDCL loss on two augmented views per image (SupCon protocol),
# projection MLP 2048 -> 2048 -> 128, plus a linear classifier on detached pooled features (marks
# hard examples, gives the validation score). A config adds a dataset, sets the head's
# num_classes and uses `bdcl_train_pipeline` as its training pipeline:
#   train_dataloader = dict(dataset=dict(pipeline={{_base_.bdcl_train_pipeline}}))
# ImageNet initialisation (downloads the weights):
#   --cfg-options model.backbone.init_cfg.type=Pretrained \
#                 model.backbone.init_cfg.checkpoint=torchvision://resnet50
_base_ = ['./resnet50_cls.py']

model = dict(
    type='BDCLImageClassifier',
    head=dict(
        _delete_=True,
        type='BDCLClsHead',
        in_channels=2048,
        proj_channels=(2048, 128),
        loss_contrast=dict(
            type='BDCLLoss', tdl='balance', tau_init=0.1, use_prototypes=True, momentum=0.1),
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        hard_from='classifier'))

# No hue jitter: mmcv 2.1's adjust_hue overflows under numpy 2 for negative hue shifts.
bdcl_view_pipeline = [
    dict(type='RandomResizedCrop', scale=224, crop_ratio_range=(0.2, 1.0)),
    dict(type='RandomFlip', prob=0.5, direction=['horizontal', 'vertical']),
    dict(
        type='RandomApply',
        transforms=[dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4)],
        prob=0.8),
    dict(type='RandomGrayscale', prob=0.2, keep_channels=True),
]
bdcl_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='MultiView', num_views=2, transforms=[bdcl_view_pipeline]),
    dict(type='PackInputs'),
]

custom_hooks = [dict(type='BDCLHook')]
