# BDCL on BUSI breast-ultrasound segmentation (data/BUSI, TUI layout) with MMSegmentation's
# UNet-S5-D16 + FCN: ./bdcl_unet-s5-d16_fcn_80k_tui-512x512.py with the BUSI dataset base.
#   python tools/dataset_converters/busi.py /path/to/Dataset_BUSI_with_GT data/BUSI
#   python tools/train.py configs/bdcl/bdcl_unet-s5-d16_fcn_80k_busi-512x512.py
_base_ = [
    'mmseg::_base_/models/fcn_unet_s5-d16.py', '../_base_/datasets/busi_512x512.py',
    'mmseg::_base_/default_runtime.py', 'mmseg::_base_/schedules/schedule_80k.py',
    '../_base_/bdcl_decode_head.py'
]

# The BDCL head settings: ../_base_/bdcl_decode_head.py. BUSI images are not square: resized
# with their aspect ratio kept, the test input is padded to a multiple of 16 (the UNet's
# downsampling), and the prediction is cropped back before it is scored, as in the TUI config.
model = dict(
    data_preprocessor=dict(size=_base_.crop_size, test_cfg=dict(size_divisor=16)),
    decode_head=dict(_base_.bdcl_decode_head, host_type='FCNHead', num_classes=_base_.num_classes),
    auxiliary_head=dict(num_classes=_base_.num_classes),
    test_cfg=dict(mode='whole'))
