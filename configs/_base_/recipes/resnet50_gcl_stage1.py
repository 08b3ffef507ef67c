# GCL stage 1 (Li, Cheung & Lu, CVPR 2022; reference Keke921/GCLLoss) with ResNet-50: a cosine
# classifier (CosineClsHead) trained with the Gaussian clouded logit loss (m 0, s 30, noise_mul
# 0.5; the noise is in the loss only) on mixup batches (mmpretrain's Mixup, alpha 1, as the
# reference's mixup_data). ClassCountsHook reads the image counts per class from the training
# set. A config adds a dataset and sets the head's num_classes. Stage 2: resnet50_gcl_stage2.py.
_base_ = ['./resnet50_cls.py']

model = dict(
    head=dict(
        _delete_=True,
        type='CosineClsHead',
        in_channels=2048,
        topk=(1, ),
        loss=dict(type='GCLLoss', m=0.0, s=30.0, noise_mul=0.5)),
    train_cfg=dict(augments=dict(type='Mixup', alpha=1.0)))

custom_hooks = [dict(type='ClassCountsHook')]
