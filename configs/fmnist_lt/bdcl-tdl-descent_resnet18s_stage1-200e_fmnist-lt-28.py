# Fashion-MNIST-LT, BDCL stage 1 with the 'descent' temperature rule (autograd dL/dtau, descent).
_base_ = ['./bdcl_resnet18s_stage1-200e_fmnist-lt-28.py']

model = dict(head=dict(loss_contrast=dict(tdl='descent')))
