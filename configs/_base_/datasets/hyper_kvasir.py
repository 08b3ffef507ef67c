# Hyper-Kvasir labelled images (23 classes, alphabetical labels) as written by
# tools/dataset_converters/hyper_kvasir.py:
# data/hyper_kvasir/{images,meta/train.txt,meta/val.txt,meta/split_info.json}.
_base_ = ['./rgb_cls.py']

data_root = 'data/hyper_kvasir'
hyper_kvasir_classes = ('barretts', 'barretts-short-segment', 'bbps-0-1', 'bbps-2-3', 'cecum',
                        'dyed-lifted-polyps', 'dyed-resection-margins', 'esophagitis-a',
                        'esophagitis-b-d', 'hemorrhoids', 'ileum', 'impacted-stool', 'polyps',
                        'pylorus', 'retroflex-rectum', 'retroflex-stomach',
                        'ulcerative-colitis-grade-0-1', 'ulcerative-colitis-grade-1',
                        'ulcerative-colitis-grade-1-2', 'ulcerative-colitis-grade-2',
                        'ulcerative-colitis-grade-2-3', 'ulcerative-colitis-grade-3', 'z-line')

data_preprocessor = dict(num_classes=23)
train_dataloader = dict(
    dataset=dict(data_root=data_root, metainfo=dict(classes=hyper_kvasir_classes)))
val_dataloader = dict(
    dataset=dict(data_root=data_root, metainfo=dict(classes=hyper_kvasir_classes)))
test_dataloader = val_dataloader
