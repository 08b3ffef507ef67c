# Rival: Balanced-MixUp (Galdran et al., MICCAI 2021; reference agaldran/balanced_mixup) with
# ResNet-50 on Hyper-Kvasir. Each step pairs 8 instance-sampled images with 8
# class-balanced ones (BalancedMixUpBatchSampler) and mixes them, x = (1 - lam) x_inst + lam x_bal
# with lam ~ Beta(0.2, 1), labels alike (BalancedMixUp in PairedBatchClsDataPreprocessor); the
# head's loss is soft-label cross-entropy. The reference's 30 epochs, batch 8 and SGD lr 0.01, with
# the plugin's ResNet-50 optimiser otherwise (momentum 0.9, weight decay 1e-4, cosine schedule)
# in place of the reference's momentum-free SGD with its validation-driven plateau schedule.
_base_ = ['./ce_resnet50_100e_hyper-kvasir-224.py']

max_epochs = 30

data_preprocessor = dict(
    type='PairedBatchClsDataPreprocessor',
    batch_augments=dict(augments=dict(type='BalancedMixUp', alpha=0.2)))
model = dict(
    head=dict(loss=dict(_delete_=True, type='CrossEntropyLoss', use_soft=True, loss_weight=1.0)))
train_dataloader = dict(batch_size=8, batch_sampler=dict(type='BalancedMixUpBatchSampler'))
train_cfg = dict(max_epochs=max_epochs)
