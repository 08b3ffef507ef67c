# Ablation "BDCL w/o HEP", stage 1 on Hyper-Kvasir: learned per-class temperatures, no prototypes.
# Stage 2: configs/bdcl/resnet50_hyper_kvasir_stage2_crt.py with load_from.
_base_ = ['../bdcl/resnet50_hyper_kvasir_stage1_bdcl.py']

model = dict(head=dict(loss_contrast=dict(use_prototypes=False)))
