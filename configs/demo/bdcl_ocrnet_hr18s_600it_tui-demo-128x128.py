# CPU-sized BDCL demo (`make demo`, tools/demo.py): HRNetV2-W18-small + OCR with the BDCL head,
# trained from scratch at 128x128 on a small synthetic thyroid-ultrasound set (data/TUI_demo,
# written by tools/dataset_converters/thyroid_us_synth.py), plain BN, 600 iterations
# (../_base_/ocrnet_hr18s_tui_demo.py). Results on it are synthetic and only show that the
# pipeline works end to end.
_base_ = ['../_base_/ocrnet_hr18s_tui_demo.py']

# mmengine replaces lists whole: the base's FCN aux head as it is; index 1 becomes the BDCL head,
# sampling fewer pixels into a smaller projection than the full-size config.
model = dict(decode_head=[
    _base_.model.decode_head[0],
    dict(_base_.model.decode_head[1], type='BDCLOCRHead', proj_channels=128, max_views=64,
         max_samples=512, contrast_warmup_iters=100,
         loss_contrast=dict(type='BDCLLoss', loss_weight=0.1, tdl='balance', tau_init=0.1)),
])
custom_hooks = [
    dict(type='BDCLHook', log_interval=200),
    dict(type='SegNumClassesCheckHook'),
]
