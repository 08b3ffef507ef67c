# Ablation "BDCL w/o TDL", stage 1 on ISIC 2019: hard-example prototypes, fixed temperature.
# Stage 2: configs/bdcl/bdcl_resnet50_stage2-crt-30e_isic2019-224.py with load_from.
_base_ = ['../bdcl/bdcl_resnet50_stage1-100e_isic2019-224.py']

model = dict(head=dict(loss_contrast=dict(tdl='none')))
