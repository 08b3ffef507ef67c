# Baseline: targeted supervised pixel contrast (TSC, Li et al., CVPR 2022; reference
# LTH14/targeted-supcon) on the plugin's contrast path: the sampled pixels of the OCR head, in
# the in-batch SupCon form (no MoCo queue), with three class targets spread on the sphere and
# EMA class centroids assigned to them (Hungarian) by BDCLHook; temperature 0.07, target weight
# 0.2. As in the BDCL configs the contrast is on the OCR head (decode_head[1]) only; the FCN
# auxiliary head keeps its CE. Everything else as configs/bdcl/bdcl_ocrnet_hr48_80k_tui-512x512.py.
_base_ = ['../bdcl/bdcl_ocrnet_hr48_80k_tui-512x512.py']

# mmengine replaces lists whole: the cascade is restated from the base's own two heads, with the
# contrastive loss replaced.
fcn_head, bdcl_head = _base_.model.decode_head
model = dict(decode_head=[
    fcn_head,
    dict(
        bdcl_head,
        loss_contrast=dict(
            type='TSCLoss', loss_weight=0.1, temperature=0.07, target_weight=0.2, momentum=0.1)),
])
