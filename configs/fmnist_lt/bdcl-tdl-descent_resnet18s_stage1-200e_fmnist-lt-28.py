# Fashion-MNIST-LT, BDCL stage 1 with the 'descent' temperature rule (autograd dL/dtau, descent).
_base_ = ['./resnet18s_fmnist_lt_stage1_bdcl.py']

model = dict(head=dict(loss_contrast=dict(tdl='descent')))
