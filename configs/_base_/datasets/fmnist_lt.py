# Fashion-MNIST-LT (10 classes, 28x28 grayscale PNGs) as written by
# tools/dataset_converters/fashion_mnist_lt.py: data/fmnist_lt/{images,meta/train.txt,
# meta/test.txt,meta/split_info.json}. Validation and test use the balanced official test set.
# Single-view pipelines; the stage-1 configs replace the training pipeline with two views.
dataset_type = 'CustomDataset'
data_root = 'data/fmnist_lt'
fmnist_classes = ('T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt',
                  'Sneaker', 'Bag', 'Ankle boot')

data_preprocessor = dict(num_classes=10, mean=[72.94], std=[90.0], to_rgb=False)

train_pipeline = [
    dict(type='LoadImageFromFile', color_type='grayscale'),
    dict(type='RandomCrop', crop_size=28, padding=2),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile', color_type='grayscale'),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    batch_size=128,
    num_workers=2,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='meta/train.txt',
        data_prefix='images',
        metainfo=dict(classes=fmnist_classes),
        pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True))
val_dataloader = dict(
    batch_size=256,
    num_workers=2,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='meta/test.txt',
        data_prefix='images',
        metainfo=dict(classes=fmnist_classes),
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False))
val_evaluator = [
    dict(type='Accuracy', topk=(1, )),
    dict(type='ImbalanceMetric'),
]
test_dataloader = val_dataloader
test_evaluator = val_evaluator
