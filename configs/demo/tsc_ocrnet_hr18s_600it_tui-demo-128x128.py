# CPU-sized TSC (targeted supervised contrastive) on the demo model, for the segmentation
# benchmark's 'tsc' row: configs/demo/bdcl_ocrnet_hr18s_600it_tui-demo-128x128.py with its
# contrastive loss replaced (the same sampling and projection; contrast on the OCR head only), as
# configs/baselines/tsc_ocrnet_hr48_80k_tui-512x512.py does for the full-size model.
_base_ = ['./bdcl_ocrnet_hr18s_600it_tui-demo-128x128.py']

fcn_head, bdcl_head = _base_.model.decode_head
model = dict(decode_head=[
    fcn_head,
    dict(
        bdcl_head,
        loss_contrast=dict(
            type='TSCLoss', loss_weight=0.1, temperature=0.07, target_weight=0.2, momentum=0.1)),
])
