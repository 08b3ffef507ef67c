# Rival LDAM-DRW (Cao et al., NeurIPS 2019) on Hyper-Kvasir: ResNet-50, cosine classifier, LDAM
# loss, DRW from epoch 80 of 100 (recipe: ../_base_/recipes/resnet50_ldam_drw.py).
_base_ = [
    '../_base_/recipes/resnet50_ldam_drw.py',
    '../_base_/datasets/hyper_kvasir.py',
]

model = dict(head=dict(num_classes=23))
