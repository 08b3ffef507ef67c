# BDCL on thyroid-ultrasound segmentation (TUI layout) with MMSegmentation's UNet-S5-D16 + FCN:
#   CE(FCN) + 0.4 CE(FCN aux) + 0.1 BDCL(sampled pixels of the decode head's pre-classifier
#   features, 64 channels at full resolution).
#   python tools/train.py configs/bdcl/bdcl_unet-s5-d16_fcn_80k_tui-512x512.py
# The host decode head keeps all its arguments: only `type` becomes 'BDCLDecodeHead' and
# `host_type` names the host head (README, "Add BDCL to your model").
_base_ = [
    'mmseg::_base_/models/fcn_unet_s5-d16.py', '../_base_/datasets/tui_512x512.py',
    'mmseg::_base_/default_runtime.py', 'mmseg::_base_/schedules/schedule_80k.py',
    '../_base_/bdcl_decode_head.py'
]

# The BDCL head settings: ../_base_/bdcl_decode_head.py. A test image resized with its aspect
# ratio kept is padded to a multiple of 16 (the UNet's downsampling), and the prediction is cropped
# back before it is scored.
model = dict(
    data_preprocessor=dict(size=_base_.crop_size, test_cfg=dict(size_divisor=16)),
    decode_head=dict(_base_.bdcl_decode_head, host_type='FCNHead', num_classes=_base_.num_classes),
    auxiliary_head=dict(num_classes=_base_.num_classes),
    test_cfg=dict(mode='whole'))
