# Shared base of the HRNetV2-W48 + OCR thyroid-ultrasound (TUI) configs, composed from
# MMSegmentation's packaged bases: the HRNet + OCR model (widened to W48 as mmseg's
# ocrnet_hr48 configs do; SyncBN, which the Runner turns into BN when not distributed), the TUI
# data (../_base_/datasets/tui_512x512.py: 3 classes, background, benign, malignant), the default
# runtime and schedule_80k (SGD lr 0.01, momentum 0.9, weight decay 5e-4, poly LR, 80k iterations).
# The heads are the host's plain cascade [FCNHead (aux, CE x 0.4), OCRHead (CE)], taken from
# mmseg's model base with the W48 widths and the TUI classes: the CE baseline
# (configs/baselines/ocrnet_hr48_80k_tui-512x512.py). Variants keep index 0 and derive index 1:
#   model = dict(decode_head=[_base_.model.decode_head[0],
#                             dict(_base_.model.decode_head[1], type='BDCLOCRHead', ...)])
_base_ = [
    'mmseg::_base_/models/ocrnet_hr18.py', './datasets/tui_512x512.py',
    'mmseg::_base_/default_runtime.py', 'mmseg::_base_/schedules/schedule_80k.py'
]
custom_imports = dict(imports=['bdcl_mm.seg'], allow_failed_imports=False)

data_preprocessor = dict(size=_base_.crop_size)
model = dict(
    data_preprocessor=data_preprocessor,
    # ImageNet HRNetV2-W48 weights from open-mmlab, downloaded on first use (needs network access;
    # cached under ~/.cache/torch/hub/checkpoints afterwards). Offline: put the file there, or
    # --cfg-options model.pretrained=/path/to/hrnetv2_w48.pth (or model.pretrained=None to train
    # from scratch).
    pretrained='open-mmlab://msra/hrnetv2_w48',
    backbone=dict(
        extra=dict(
            stage2=dict(num_channels=(48, 96)),
            stage3=dict(num_channels=(48, 96, 192)),
            stage4=dict(num_channels=(48, 96, 192, 384)))),
    # mmengine replaces lists whole: the host's two heads, each updated in place.
    decode_head=[
        dict(
            _base_.model.decode_head[0],
            in_channels=[48, 96, 192, 384],
            channels=sum([48, 96, 192, 384]),
            num_classes=_base_.num_classes),
        dict(
            _base_.model.decode_head[1],
            in_channels=[48, 96, 192, 384],
            num_classes=_base_.num_classes),
    ])

# Fails before the first iteration when a head's num_classes disagrees with the dataset.
custom_hooks = [dict(type='SegNumClassesCheckHook')]
