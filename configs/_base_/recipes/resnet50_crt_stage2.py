# Stage 2, classifier re-training (cRT), with ResNet-50: the stage-1 backbone is loaded and frozen
# (weights and BatchNorm statistics: frozen_stages=4, norm_eval=True); a fresh linear classifier
# (CRTClsHead, keys head.crt_fc.*, so no stage-1 head key is loaded into it) is trained with CE
# for 30 epochs. A config adds a dataset, sets the head's num_classes and the class-balanced
# sampler:
#   train_dataloader = dict(
#       sampler=dict(_delete_=True, type='ClassBalancedSampler', num_samples_cls=4))
# load_from is non-strict: the log lists the stage-1 projector/classifier/loss keys as
# unexpected and head.crt_fc.* as missing; every backbone.* key must load (BackboneLoadCheckHook
# refuses the checkpoint otherwise).
_base_ = ['./resnet50_cls.py']

max_epochs = 30

model = dict(
    backbone=dict(frozen_stages=4, norm_eval=True),
    head=dict(
        _delete_=True,
        type='CRTClsHead',
        in_channels=2048,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))

train_cfg = dict(max_epochs=max_epochs, val_interval=1)
default_hooks = dict(checkpoint=dict(interval=5))
# Stops the run unless load_from fills every backbone tensor (keys and shapes).
custom_hooks = [dict(type='BackboneLoadCheckHook')]
# Set to the stage-1 checkpoint (required).
load_from = None
