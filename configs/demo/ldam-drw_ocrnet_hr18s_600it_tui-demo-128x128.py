# CPU-sized LDAM-DRW (the segmentation benchmark's LDAM row): the demo setting of
# ../_base_/ocrnet_hr18s_tui_demo.py (HRNetV2-W18-small + OCR, 128x128, plain BN, 600 iterations)
# with the recipe of ../baselines/ldam-drw_ocrnet_hr48_80k_tui-512x512.py on the OCR head.
_base_ = ['../_base_/ocrnet_hr18s_tui_demo.py']

model = dict(decode_head=[
    _base_.model.decode_head[0],
    dict(_base_.model.decode_head[1], type='CosineDecodeHead', host_type='OCRHead',
         loss_decode=dict(type='LDAMLoss', max_m=0.5, s=30.0, loss_weight=1.0)),
])
custom_hooks = [
    dict(type='SegNumClassesCheckHook'),
    dict(type='DRWHook', start_ratio=0.8, beta=0.9999),
]
