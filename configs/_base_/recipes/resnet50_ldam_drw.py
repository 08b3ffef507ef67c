# LDAM-DRW (Cao et al., NeurIPS 2019; reference kaidic/LDAM-DRW) with ResNet-50: a cosine
# classifier (CosineClsHead: normalised features x normalised weights, no bias) trained with the
# LDAM loss (margins max_m * n_c^(-1/4) / max n^(-1/4), max_m 0.5, scale s 30) and deferred
# re-weighting: uniform class weights, then effective-number weights (beta 0.9999) from 80% of
# the schedule (the reference's epoch 160 of 200). DRWHook reads the image counts per class from
# the training set and logs them. A config adds a dataset and sets the head's num_classes.
_base_ = ['./resnet50_cls.py']

model = dict(
    head=dict(
        _delete_=True,
        type='CosineClsHead',
        in_channels=2048,
        topk=(1, ),
        loss=dict(type='LDAMLoss', max_m=0.5, s=30.0)))

custom_hooks = [dict(type='DRWHook', start_ratio=0.8, beta=0.9999)]
