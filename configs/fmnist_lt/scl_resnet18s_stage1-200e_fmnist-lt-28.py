# Fashion-MNIST-LT, SCL stage 1 (fixed temperature 0.1, no prototypes) for SCL + cRT.
_base_ = ['./bdcl_resnet18s_stage1-200e_fmnist-lt-28.py']

model = dict(head=dict(loss_contrast=dict(tdl='none', use_prototypes=False)))
