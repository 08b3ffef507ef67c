# Baseline: HRNetV2-W48 + OCR with mmseg's (sigmoid) focal loss on the OCR head (gamma 2,
# alpha 0.5); the FCN aux head keeps CE x 0.4.
_base_ = ['./ocrnet_hr48_80k_tui-512x512.py']

# mmengine replaces lists whole: the base's two heads, only the OCR head's loss changed.
model = dict(decode_head=[
    _base_.model.decode_head[0],
    dict(_base_.model.decode_head[1],
         loss_decode=dict(
             type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.5, loss_weight=1.0)),
])
