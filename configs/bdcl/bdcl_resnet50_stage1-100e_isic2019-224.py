# BDCL stage 1 on ISIC 2019 (recipe: ../_base_/recipes/resnet50_bdcl_stage1.py).
#   python tools/train.py configs/bdcl/resnet50_isic2019_stage1_bdcl.py
# then stage 2: configs/bdcl/resnet50_isic2019_stage2_crt.py with
#   --cfg-options load_from=work_dirs/resnet50_isic2019_stage1_bdcl/epoch_100.pth
_base_ = [
    '../_base_/recipes/resnet50_bdcl_stage1.py',
    '../_base_/datasets/isic2019.py',
]

model = dict(head=dict(num_classes=8))
train_dataloader = dict(dataset=dict(pipeline={{_base_.bdcl_train_pipeline}}))
