# Baseline: ResNet-50 trained with cross-entropy on ISIC 2019 (instance-balanced sampling).
_base_ = [
    '../_base_/recipes/resnet50_cls.py',
    '../_base_/datasets/isic2019.py',
]

model = dict(head=dict(num_classes=8))
