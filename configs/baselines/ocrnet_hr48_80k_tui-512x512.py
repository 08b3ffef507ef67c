# Baseline: HRNetV2-W48 + OCR with cross-entropy only (CE on OCR + 0.4 CE on the FCN aux head),
# the host model as it is on the TUI data; same data, schedule and budget as
# configs/bdcl/bdcl_ocrnet_hr48_80k_tui-512x512.py.
_base_ = ['../_base_/ocrnet_hr48_tui.py']
