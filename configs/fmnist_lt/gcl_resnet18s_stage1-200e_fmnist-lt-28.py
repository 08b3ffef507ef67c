# Fashion-MNIST-LT rival GCL (Li, Cheung & Lu, CVPR 2022), stage 1: cosine classifier, GCL loss
# (m 0, s 30, noise_mul 0.5) on mixup batches (alpha 1); image counts per class from the training
# set (ClassCountsHook). Stage 2: gcl_resnet18s_stage2-crt-10e_fmnist-lt-28.py.
_base_ = ['./ce_resnet18s_200e_fmnist-lt-28.py']

model = dict(
    head=dict(
        _delete_=True,
        type='CosineClsHead',
        num_classes=10,
        in_channels=128,
        topk=(1, ),
        loss=dict(type='GCLLoss', m=0.0, s=30.0, noise_mul=0.5)),
    train_cfg=dict(augments=dict(type='Mixup', alpha=1.0)))
custom_hooks = [dict(type='ClassCountsHook')]
