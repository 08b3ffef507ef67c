# ISIC 2019 (8 classes) as written by tools/dataset_converters/isic2019.py:
# data/isic2019/{images,meta/train.txt,meta/val.txt,meta/split_info.json}. Single-view pipelines;
# the stage-1 configs replace the training pipeline with two views (MultiView).
dataset_type = 'CustomDataset'
data_root = 'data/isic2019'
isic2019_classes = ('MEL', 'NV', 'BCC', 'AK', 'BKL', 'DF', 'VASC', 'SCC')

data_preprocessor = dict(
    num_classes=8, mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], to_rgb=True)

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
        type=dataset_type,
        data_root=data_root,
        ann_file='meta/train.txt',
        data_prefix='images',
        metainfo=dict(classes=isic2019_classes),
        pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True))
val_dataloader = dict(
    batch_size=64,
    num_workers=4,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='meta/val.txt',
        data_prefix='images',
        metainfo=dict(classes=isic2019_classes),
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False))
val_evaluator = [
    dict(type='Accuracy', topk=(1, )),
    dict(type='ImbalanceMetric'),
]
test_dataloader = val_dataloader
test_evaluator = val_evaluator
