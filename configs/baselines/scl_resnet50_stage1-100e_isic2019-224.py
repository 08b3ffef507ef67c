# Baseline SCL + cRT, stage 1 on ISIC 2019: supervised contrastive loss (fixed temperature 0.1,
# no hard-example prototypes). Stage 2: scl_resnet50_stage2-crt-30e_isic2019-224.py.
_base_ = ['../bdcl/bdcl_resnet50_stage1-100e_isic2019-224.py']

model = dict(head=dict(loss_contrast=dict(tdl='none', use_prototypes=False)))
