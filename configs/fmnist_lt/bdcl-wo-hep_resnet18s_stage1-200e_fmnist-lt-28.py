# Fashion-MNIST-LT, BDCL w/o HEP stage 1 (learned temperatures, no prototypes).
_base_ = ['./resnet18s_fmnist_lt_stage1_bdcl.py']

model = dict(head=dict(loss_contrast=dict(use_prototypes=False)))
