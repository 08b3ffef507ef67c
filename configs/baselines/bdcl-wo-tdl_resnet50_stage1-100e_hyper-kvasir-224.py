# Ablation "BDCL w/o TDL", stage 1 on Hyper-Kvasir: hard-example prototypes, fixed temperature.
# Stage 2: configs/bdcl/bdcl_resnet50_stage2-crt-30e_hyper-kvasir-224.py with load_from.
_base_ = ['../bdcl/bdcl_resnet50_stage1-100e_hyper-kvasir-224.py']

model = dict(head=dict(loss_contrast=dict(tdl='none')))
