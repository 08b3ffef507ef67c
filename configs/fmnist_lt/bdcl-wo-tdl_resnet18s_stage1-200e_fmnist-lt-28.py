# Fashion-MNIST-LT, BDCL w/o TDL stage 1 (prototypes on, fixed temperature; = tdl='none').
_base_ = ['./bdcl_resnet18s_stage1-200e_fmnist-lt-28.py']

model = dict(head=dict(loss_contrast=dict(tdl='none')))
