# Segmentation benchmark baseline (benchmarks/seg_benchmark.py): the CPU-sized demo setting of
# configs/demo/bdcl_hr18s_tui_demo.py (HRNetV2-W18-small + OCR, 128x128, plain BN) with the host's
# plain OCRHead (CE on OCR + 0.4 CE on the FCN aux head) in place of BDCLOCRHead; everything else
# (data, schedule, optimizer) is inherited, so CE vs BDCL differ only in the contrastive term.
_base_ = ['../../configs/demo/bdcl_hr18s_tui_demo.py']

num_classes = 3
norm_cfg = dict(type='BN', requires_grad=True)
# mmengine replaces lists wholesale: both heads of the cascade are restated.
model = dict(decode_head=[
    dict(
        type='FCNHead',
        in_channels=[18, 36, 72, 144],
        channels=sum([18, 36, 72, 144]),
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
        in_channels=[18, 36, 72, 144],
        channels=256,
        ocr_channels=128,
        in_index=(0, 1, 2, 3),
        input_transform='resize_concat',
        dropout_ratio=-1,
        num_classes=num_classes,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
])
custom_hooks = [dict(type='SegNumClassesCheckHook')]
