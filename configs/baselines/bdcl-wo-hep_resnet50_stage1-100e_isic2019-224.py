# Ablation "BDCL w/o HEP", stage 1 on ISIC 2019: learned per-class temperatures, no prototypes.
# Stage 2: configs/bdcl/resnet50_isic2019_stage2_crt.py with load_from.
_base_ = ['../bdcl/resnet50_isic2019_stage1_bdcl.py']

model = dict(head=dict(loss_contrast=dict(use_prototypes=False)))
