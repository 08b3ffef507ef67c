# BDCL on thyroid-ultrasound segmentation (TUI layout) with MMSegmentation's DeepLabV3+ (ResNet-50
# V1c, output stride 8): CE(DepthwiseSeparableASPPHead) + 0.4 CE(FCN aux) + 0.1 BDCL(sampled pixels
# of the decode head's pre-classifier features, 512 channels at 1/4 resolution).
#   python tools/train.py configs/bdcl/bdcl_deeplabv3plus_r50-d8_80k_tui-512x512.py
# The backbone starts from open-mmlab's ImageNet ResNet-50 V1c weights (network access on first
# use; offline: --cfg-options model.pretrained=/path/to/resnet50_v1c.pth or model.pretrained=None).
_base_ = [
    'mmseg::_base_/models/deeplabv3plus_r50-d8.py', '../_base_/datasets/tui_512x512.py',
    'mmseg::_base_/default_runtime.py', 'mmseg::_base_/schedules/schedule_80k.py'
]
custom_imports = dict(imports=['bdcl_mm.seg'], allow_failed_imports=False)

num_classes = 3
crop_size = (512, 512)
model = dict(
    data_preprocessor=dict(size=crop_size),
    decode_head=dict(
        type='BDCLDecodeHead',
        host_type='DepthwiseSeparableASPPHead',
        num_classes=num_classes,
        features='pre_logits',  # the input of the head's classifier (conv_seg)
        proj_channels=256,
        max_views=100,
        max_samples=1024,
        scope='batch',  # 'image' is the paper's per-image contrast (docs/contrast_scope.md)
        contrast_warmup_iters=4000,
        loss_contrast=dict(type='BDCLLoss', loss_weight=0.1)),
    auxiliary_head=dict(num_classes=num_classes))

custom_hooks = [
    dict(type='BDCLHook', log_interval=500),
    dict(type='SegNumClassesCheckHook'),
]
