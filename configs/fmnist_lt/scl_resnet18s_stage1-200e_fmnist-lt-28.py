# Fashion-MNIST-LT, SCL stage 1 (fixed temperature 0.1, no prototypes) for SCL + cRT.
_base_ = ['./resnet18s_fmnist_lt_stage1_bdcl.py']

model = dict(head=dict(loss_contrast=dict(tdl='none', use_prototypes=False)))
