# BDCL stage 1 on ISIC 2019 (recipe: ../_base_/recipes/resnet50_bdcl_stage1.py).
#   python tools/train.py configs/bdcl/bdcl_resnet50_stage1-100e_isic2019-224.py
# then stage 2: configs/bdcl/bdcl_resnet50_stage2-crt-30e_isic2019-224.py with
#   --cfg-options load_from=work_dirs/bdcl_resnet50_stage1-100e_isic2019-224/epoch_100.pth
_base_ = [
    '../_base_/recipes/resnet50_bdcl_stage1.py',
    '../_base_/datasets/isic2019.py',
]

model = dict(head=dict(num_classes=8))
train_dataloader = dict(dataset=dict(pipeline={{_base_.bdcl_train_pipeline}}))
