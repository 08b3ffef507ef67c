# Baseline SCL + cRT, stage 1 on ISIC 2019: supervised contrastive loss (fixed temperature 0.1,
# no hard-example prototypes). Stage 2: resnet50_isic2019_scl_crt_stage2.py.
_base_ = ['../bdcl/resnet50_isic2019_stage1_bdcl.py']

model = dict(head=dict(loss_contrast=dict(tdl='none', use_prototypes=False)))
