# BDCL on thyroid-ultrasound segmentation (TUI layout) with MMSegmentation's UNet-S5-D16 + FCN:
#   CE(FCN) + 0.4 CE(FCN aux) + 0.1 BDCL(sampled pixels of the decode head's pre-classifier
#   features, 64 channels at full resolution).
#   python tools/train.py configs/bdcl/bdcl_unet-s5-d16_fcn_80k_tui-512x512.py
# The host decode head keeps all its arguments: only `type` becomes 'BDCLDecodeHead' and
# `host_type` names the host head (README, "Add BDCL to your model").
_base_ = [
    'mmseg::_base_/models/fcn_unet_s5-d16.py', '../_base_/datasets/tui_512x512.py',
    'mmseg::_base_/default_runtime.py', 'mmseg::_base_/schedules/schedule_80k.py'
]
custom_imports = dict(imports=['bdcl_mm.seg'], allow_failed_imports=False)

num_classes = 3
crop_size = (512, 512)
model = dict(
    data_preprocessor=dict(size=crop_size),
    decode_head=dict(
        type='BDCLDecodeHead',
        host_type='FCNHead',
        num_classes=num_classes,
        features='pre_logits',  # the input of the head's classifier (conv_seg)
        proj_channels=256,
        max_views=100,
        max_samples=1024,
        scope='batch',  # 'image' is the paper's per-image contrast (docs/contrast_scope.md)
        contrast_warmup_iters=4000,
        loss_contrast=dict(type='BDCLLoss', loss_weight=0.1)),
    auxiliary_head=dict(num_classes=num_classes),
    test_cfg=dict(mode='whole'))

custom_hooks = [
    dict(type='BDCLHook', log_interval=500),
    dict(type='SegNumClassesCheckHook'),
]
