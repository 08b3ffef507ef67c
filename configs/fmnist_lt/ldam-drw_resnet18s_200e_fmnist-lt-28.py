# Fashion-MNIST-LT rival LDAM-DRW (Cao et al., NeurIPS 2019): cosine classifier, LDAM loss
# (max_m 0.5, s 30), DRW (effective numbers, beta 0.9999) from 80% of the epochs; image counts
# per class from the training set (DRWHook). The ResNet-50 recipe:
# ../_base_/recipes/resnet50_ldam_drw.py.
_base_ = ['./ce_resnet18s_200e_fmnist-lt-28.py']

model = dict(
    head=dict(
        _delete_=True,
        type='CosineClsHead',
        num_classes=10,
        in_channels=128,
        topk=(1, ),
        loss=dict(type='LDAMLoss', max_m=0.5, s=30.0)))
custom_hooks = [dict(type='DRWHook', start_ratio=0.8, beta=0.9999)]
