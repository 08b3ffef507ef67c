# Segmentation benchmark row 'softiou' (benchmarks/seg_benchmark.py): the CPU-sized demo setting
# of seg_ocr_ce_hr18s_tui_bench.py with the OCR head's loss of
# configs/baselines/softiou_ocrnet_hr48_80k_tui-512x512.py (SoftIoULoss; the FCN aux head keeps
# CE x 0.4).
_base_ = ['./seg_ocr_ce_hr18s_tui_bench.py']

model = dict(decode_head=[
    _base_.model.decode_head[0],
    dict(_base_.model.decode_head[1],
         loss_decode=dict(type='SoftIoULoss', loss_weight=1.0)),
])
