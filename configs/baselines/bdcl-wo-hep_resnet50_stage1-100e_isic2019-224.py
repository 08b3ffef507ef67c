# Ablation "BDCL w/o HEP", stage 1 on ISIC 2019: learned per-class temperatures, no prototypes.
# Stage 2: configs/bdcl/bdcl_resnet50_stage2-crt-30e_isic2019-224.py with load_from.
_base_ = ['../bdcl/bdcl_resnet50_stage1-100e_isic2019-224.py']

model = dict(head=dict(loss_contrast=dict(use_prototypes=False)))
