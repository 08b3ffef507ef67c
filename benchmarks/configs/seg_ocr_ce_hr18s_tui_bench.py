# Segmentation benchmark baseline (benchmarks/seg_benchmark.py): the CPU-sized demo setting of
# configs/demo/bdcl_ocrnet_hr18s_600it_tui-demo-128x128.py (HRNetV2-W18-small + OCR, 128x128,
# plain BN) with the host's plain OCRHead (CE on OCR + 0.4 CE on the FCN aux head) in place of
# BDCLOCRHead: the demo's own base, so CE vs BDCL differ only in the contrastive term.
_base_ = ['../../configs/_base_/ocrnet_hr18s_tui_demo.py']
