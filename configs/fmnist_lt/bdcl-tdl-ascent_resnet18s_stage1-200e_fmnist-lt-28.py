# Fashion-MNIST-LT, BDCL stage 1 with the 'ascent' temperature rule (autograd dL/dtau, ascent).
_base_ = ['./bdcl_resnet18s_stage1-200e_fmnist-lt-28.py']

model = dict(head=dict(loss_contrast=dict(tdl='ascent')))
