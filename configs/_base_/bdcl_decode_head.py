# BDCL settings shared by the any-model segmentation configs
# (configs/bdcl/bdcl_*_80k_tui-512x512.py). The host decode head keeps all its arguments;
# `bdcl_decode_head` turns it into a BDCLDecodeHead that adds 0.1 x BDCL on sampled pixels of the
# head's pre-classifier features. A config adds this file to its `_base_` list beside the mmseg
# model base and writes
#   model = dict(decode_head=dict(_base_.bdcl_decode_head, host_type='FCNHead', num_classes=3))
custom_imports = dict(imports=['bdcl_mm.seg'], allow_failed_imports=False)

bdcl_decode_head = dict(
    type='BDCLDecodeHead',
    features='pre_logits',  # the input of the head's classifier (conv_seg)
    # projection to 256 channels, L2-normalised; per image and class up to 100 pixels (half
    # mis-predicted), at most 1024 per batch
    proj_channels=256,
    max_views=100,
    max_samples=1024,
    scope='batch',  # 'image' is the paper's per-image contrast (docs/contrast_scope.md)
    contrast_warmup_iters=4000,
    loss_contrast=dict(type='BDCLLoss', loss_weight=0.1))

# BDCLHook applies the prototype and temperature updates after each iteration;
# SegNumClassesCheckHook checks num_classes before training.
custom_hooks = [
    dict(type='BDCLHook', log_interval=500),
    dict(type='SegNumClassesCheckHook'),
]
