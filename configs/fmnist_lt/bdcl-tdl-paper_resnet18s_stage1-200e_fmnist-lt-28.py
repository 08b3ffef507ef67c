# Fashion-MNIST-LT, BDCL stage 1 with the paper's stated TDL gradient (tdl='paper', the benchmark's
# 'BDCL + cRT (TDL paper)' row); everything else as bdcl_resnet18s_stage1-200e_fmnist-lt-28.py.
_base_ = ['./bdcl_resnet18s_stage1-200e_fmnist-lt-28.py']

model = dict(head=dict(loss_contrast=dict(tdl='paper')))
