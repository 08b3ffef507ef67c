# Fashion-MNIST-LT, BDCL w/o TDL stage 1 (prototypes on, fixed temperature; = tdl='none').
_base_ = ['./resnet18s_fmnist_lt_stage1_bdcl.py']

model = dict(head=dict(loss_contrast=dict(tdl='none')))
