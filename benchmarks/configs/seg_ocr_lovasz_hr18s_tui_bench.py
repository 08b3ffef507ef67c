# Segmentation benchmark row 'lovasz' (benchmarks/seg_benchmark.py): the CPU-sized demo setting
# of seg_ocr_ce_hr18s_tui_bench.py with the OCR head's loss of
# configs/baselines/lovasz_ocrnet_hr48_80k_tui-512x512.py (mmseg's multi-class LovaszLoss; the
# FCN aux head keeps CE x 0.4).
_base_ = ['./seg_ocr_ce_hr18s_tui_bench.py']

model = dict(decode_head=[
    _base_.model.decode_head[0],
    dict(_base_.model.decode_head[1],
         loss_decode=dict(
             type='LovaszLoss', loss_type='multi_class', per_image=False, reduction='none',
             loss_weight=1.0)),
])
