# Baseline: HRNetV2-W48 + OCR with mmseg's Lovasz-softmax loss on the OCR head (multi-class, over
# the batch); the FCN aux head keeps CE x 0.4.
_base_ = ['../_base_/ocrnet_hr48_tui.py']

num_classes = 3
norm_cfg = dict(type='SyncBN', requires_grad=True)
# mmengine replaces lists wholesale: both heads of the cascade are restated.
model = dict(decode_head=[
    dict(
        type='FCNHead',
        in_channels=[48, 96, 192, 384],
        channels=sum([48, 96, 192, 384]),
        in_index=(0, 1, 2, 3),
        input_transform='resize_concat',
        kernel_size=1,
        num_convs=1,
        concat_input=False,
        dropout_ratio=-1,
        num_classes=num_classes,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=0.4)),
    dict(
        type='OCRHead',
        in_channels=[48, 96, 192, 384],
        channels=512,
        ocr_channels=256,
        in_index=(0, 1, 2, 3),
        input_transform='resize_concat',
        dropout_ratio=-1,
        num_classes=num_classes,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(
            type='LovaszLoss',
            loss_type='multi_class',
            per_image=False,
            reduction='none',
            loss_weight=1.0)),
])
