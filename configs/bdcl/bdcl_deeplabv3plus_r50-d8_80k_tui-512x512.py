# BDCL on thyroid-ultrasound segmentation (TUI layout) with MMSegmentation's DeepLabV3+ (ResNet-50
# V1c, output stride 8): CE(DepthwiseSeparableASPPHead) + 0.4 CE(FCN aux) + 0.1 BDCL(sampled pixels
# of the decode head's pre-classifier features, 512 channels at 1/4 resolution).
#   python tools/train.py configs/bdcl/bdcl_deeplabv3plus_r50-d8_80k_tui-512x512.py
# The backbone starts from open-mmlab's ImageNet ResNet-50 V1c weights (network access on first
# use; offline: --cfg-options model.pretrained=/path/to/resnet50_v1c.pth or model.pretrained=None).
_base_ = [
    'mmseg::_base_/models/deeplabv3plus_r50-d8.py', '../_base_/datasets/tui_512x512.py',
    'mmseg::_base_/default_runtime.py', 'mmseg::_base_/schedules/schedule_80k.py',
    '../_base_/bdcl_decode_head.py'
]

# The BDCL head settings: ../_base_/bdcl_decode_head.py.
model = dict(
    data_preprocessor=dict(size=_base_.crop_size),
    decode_head=dict(
        _base_.bdcl_decode_head,
        host_type='DepthwiseSeparableASPPHead',
        num_classes=_base_.num_classes),
    auxiliary_head=dict(num_classes=_base_.num_classes))
