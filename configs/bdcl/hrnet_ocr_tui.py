# The promised command for BDCL on thyroid-ultrasound segmentation (HRNetV2-W48 + OCR, TUI):
#   python tools/train.py configs/bdcl/hrnet_ocr_tui.py
#   python tools/test.py configs/bdcl/hrnet_ocr_tui.py work_dirs/hrnet_ocr_tui/iter_80000.pth
# Everything is in ./bdcl_ocrnet_hr48_80k_tui-512x512.py, the OpenMMLab-named config.
_base_ = ['./bdcl_ocrnet_hr48_80k_tui-512x512.py']
