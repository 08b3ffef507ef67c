# Baseline: ResNet-50 trained with cross-entropy on Hyper-Kvasir (instance-balanced sampling).
_base_ = [
    '../_base_/recipes/resnet50_cls.py',
    '../_base_/datasets/hyper_kvasir.py',
]

model = dict(head=dict(num_classes=23))
