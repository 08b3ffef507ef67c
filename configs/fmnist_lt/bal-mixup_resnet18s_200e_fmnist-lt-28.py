# CPU-sized recipe on Fashion-MNIST-LT, rival Balanced-MixUp (Galdran et al., MICCAI 2021): the CE
# recipe (ce_resnet18s_200e_fmnist-lt-28.py: same model, schedule and images per step) with each
# batch of 128 instance-sampled images paired with 128 class-balanced ones
# (BalancedMixUpBatchSampler), mixed with lam ~ Beta(0.2, 1) (BalancedMixUp in
# PairedBatchClsDataPreprocessor) and trained with soft-label cross-entropy.
_base_ = ['./ce_resnet18s_200e_fmnist-lt-28.py']

data_preprocessor = dict(
    type='PairedBatchClsDataPreprocessor',
    batch_augments=dict(augments=dict(type='BalancedMixUp', alpha=0.2)))
model = dict(
    head=dict(loss=dict(_delete_=True, type='CrossEntropyLoss', use_soft=True, loss_weight=1.0)))
train_dataloader = dict(batch_sampler=dict(type='BalancedMixUpBatchSampler'))
