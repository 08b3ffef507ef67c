# Hyper-Kvasir labelled images (23 classes, alphabetical labels) as written by
# tools/dataset_converters/hyper_kvasir.py:
# data/hyper_kvasir/{images,meta/train.txt,meta/val.txt,meta/split_info.json}. Single-view
# pipelines; the stage-1 configs replace the training pipeline with two views (MultiView).
dataset_type = 'CustomDataset'
data_root = 'data/hyper_kvasir'
hyper_kvasir_classes = ('barretts', 'barretts-short-segment', 'bbps-0-1', 'bbps-2-3', 'cecum',
                        'dyed-lifted-polyps', 'dyed-resection-margins', 'esophagitis-a',
                        'esophagitis-b-d', 'hemorrhoids', 'ileum', 'impacted-stool', 'polyps',
                        'pylorus', 'retroflex-rectum', 'retroflex-stomach',
                        'ulcerative-colitis-grade-0-1', 'ulcerative-colitis-grade-1',
                        'ulcerative-colitis-grade-1-2', 'ulcerative-colitis-grade-2',
                        'ulcerative-colitis-grade-2-3', 'ulcerative-colitis-grade-3', 'z-line')

data_preprocessor = dict(
    num_classes=23, mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], to_rgb=True)

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
        metainfo=dict(classes=hyper_kvasir_classes),
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
        metainfo=dict(classes=hyper_kvasir_classes),
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False))
val_evaluator = [
    dict(type='Accuracy', topk=(1, )),
    dict(type='ImbalanceMetric'),
]
test_dataloader = val_dataloader
test_evaluator = val_evaluator
