# ISIC 2019 (8 classes) as written by tools/dataset_converters/isic2019.py:
# data/isic2019/{images,meta/train.txt,meta/val.txt,meta/split_info.json}.
_base_ = ['./rgb_cls.py']

data_root = 'data/isic2019'
isic2019_classes = ('MEL', 'NV', 'BCC', 'AK', 'BKL', 'DF', 'VASC', 'SCC')

data_preprocessor = dict(num_classes=8)
train_dataloader = dict(dataset=dict(data_root=data_root, metainfo=dict(classes=isic2019_classes)))
val_dataloader = dict(dataset=dict(data_root=data_root, metainfo=dict(classes=isic2019_classes)))
test_dataloader = val_dataloader
