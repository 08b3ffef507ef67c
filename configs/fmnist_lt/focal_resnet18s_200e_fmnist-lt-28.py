# Fashion-MNIST-LT baseline: focal loss (gamma 2, alpha 0.25).
_base_ = ['./ce_resnet18s_200e_fmnist-lt-28.py']

model = dict(
    head=dict(loss=dict(_delete_=True, type='FocalLoss', gamma=2.0, alpha=0.25, loss_weight=1.0)))
