# Ablation "BDCL w/o TDL", stage 1 on Hyper-Kvasir: hard-example prototypes, fixed temperature.
# Stage 2: configs/bdcl/resnet50_hyper_kvasir_stage2_crt.py with load_from.
_base_ = ['../bdcl/resnet50_hyper_kvasir_stage1_bdcl.py']

model = dict(head=dict(loss_contrast=dict(tdl='none')))
