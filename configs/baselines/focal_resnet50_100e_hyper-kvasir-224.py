# Baseline: ResNet-50 trained with the focal loss (gamma 2, alpha 0.25) on Hyper-Kvasir.
_base_ = ['./resnet50_hyper_kvasir_ce.py']

model = dict(
    head=dict(loss=dict(_delete_=True, type='FocalLoss', gamma=2.0, alpha=0.25, loss_weight=1.0)))
