# Fashion-MNIST-LT, BDCL w/o HEP stage 1 (the default temperature rule, no prototypes): the
# benchmark's 'BDCL w/o HEP + cRT' row of the ablation (baseline, w/o TDL, w/o HEP, full).
_base_ = ['./bdcl_resnet18s_stage1-200e_fmnist-lt-28.py']

model = dict(head=dict(loss_contrast=dict(use_prototypes=False)))
