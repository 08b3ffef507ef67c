# Baseline: ResNet-50 trained with the focal loss (gamma 2, alpha 0.25) on Hyper-Kvasir.
_base_ = ['./ce_resnet50_100e_hyper-kvasir-224.py']

model = dict(
    head=dict(loss=dict(_delete_=True, type='FocalLoss', gamma=2.0, alpha=0.25, loss_weight=1.0)))
