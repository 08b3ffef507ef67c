# Single-view RGB classification data in mmpretrain's CustomDataset layout
# ({data_root}/images, meta/train.txt, meta/val.txt), ImageNet normalisation, 224x224 crops.
# Not used alone: isic2019.py and hyper_kvasir.py set the folder, the classes and num_classes.
# The stage-1 configs replace the training pipeline with two views (MultiView).
dataset_type = 'CustomDataset'

data_preprocessor = dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], to_rgb=True)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=224),
    dict(type='RandomFlip', prob=0.5, direction=['horizontal', 'vertical']),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=256, edge='short'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    batch_size=32,
    num_workers=4,
    dataset=dict(
        type=dataset_type, ann_file='meta/train.txt', data_prefix='images',
        pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True))
val_dataloader = dict(
    batch_size=64,
    num_workers=4,
    dataset=dict(
        type=dataset_type, ann_file='meta/val.txt', data_prefix='images',
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False))
val_evaluator = [
    dict(type='Accuracy', topk=(1, )),
    dict(type='ImbalanceMetric'),
]
test_dataloader = val_dataloader
test_evaluator = val_evaluator
