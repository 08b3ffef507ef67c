# Rival GCL (Li, Cheung & Lu, CVPR 2022), stage 1 on ISIC 2019: ResNet-50, cosine classifier, GCL
# loss (m 0, s 30) on mixup batches (recipe: ../_base_/recipes/resnet50_gcl_stage1.py).
# Stage 2: gcl_resnet50_stage2-crt-30e_isic2019-224.py.
_base_ = [
    '../_base_/recipes/resnet50_gcl_stage1.py',
    '../_base_/datasets/isic2019.py',
]

model = dict(head=dict(num_classes=8))
