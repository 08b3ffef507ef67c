# Rival LDAM-DRW (Cao et al., NeurIPS 2019) on TUI: HRNetV2-W48 + OCR whose OCR head has a cosine
# 1x1 classifier (CosineDecodeHead, host OCRHead) trained with the LDAM loss (margins from the
# training pixel counts per class, max_m 0.5, s 30) and DRW from iteration 64k of 80k (80%, the
# reference's 160 of 200 epochs). DRW weights use the masks containing each class (at pixel
# counts beta^n is 0 and the effective-number weights are uniform; docs/components.md). The FCN
# aux head keeps CE x 0.4: it is the soft-region input of the OCR block, not the prediction.
# The same recipe on any decode head: type='CosineDecodeHead', host_type=<the head's type>,
# loss_decode=dict(type='LDAMLoss'), custom_hooks += [dict(type='DRWHook')].
_base_ = ['./ocrnet_hr48_80k_tui-512x512.py']

# mmengine replaces lists whole: the base's two heads, index 1 made cosine with LDAM.
model = dict(decode_head=[
    _base_.model.decode_head[0],
    dict(_base_.model.decode_head[1], type='CosineDecodeHead', host_type='OCRHead',
         loss_decode=dict(type='LDAMLoss', max_m=0.5, s=30.0, loss_weight=1.0)),
])
custom_hooks = [
    dict(type='SegNumClassesCheckHook'),
    dict(type='DRWHook', start_ratio=0.8, beta=0.9999),
]
