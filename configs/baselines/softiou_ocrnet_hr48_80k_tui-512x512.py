# Baseline: HRNetV2-W48 + OCR with the SoftIoU (soft Jaccard) loss on the OCR head (bdcl_mm's
# SoftIoULoss: softmax probabilities, one soft IoU per class over the batch, classes absent from
# the batch add 0, mean over all classes); the FCN aux head keeps CE x 0.4, as in the other loss
# baselines (focal, Lovasz), so the rows differ in the prediction head's loss only.
_base_ = ['./ocrnet_hr48_80k_tui-512x512.py']

# mmengine replaces lists whole: the base's two heads, only the OCR head's loss changed.
model = dict(decode_head=[
    _base_.model.decode_head[0],
    dict(_base_.model.decode_head[1],
         loss_decode=dict(type='SoftIoULoss', loss_weight=1.0)),
])
