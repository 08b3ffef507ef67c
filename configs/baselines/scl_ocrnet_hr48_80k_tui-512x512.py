# Baseline: supervised pixel contrast (SCL): the BDCL head with fixed temperatures (tdl='none')
# and no hard-example prototypes (use_prototypes=False); everything else as
# configs/bdcl/bdcl_ocrnet_hr48_80k_tui-512x512.py.
_base_ = ['../bdcl/bdcl_ocrnet_hr48_80k_tui-512x512.py']

# Only the contrastive loss's switches change; the cascade is rebuilt from the base's two heads
# (mmengine replaces lists whole, so the list is restated from the base's own entries).
fcn_head, bdcl_head = _base_.model.decode_head
model = dict(decode_head=[
    fcn_head,
    dict(bdcl_head, loss_contrast=dict(bdcl_head.loss_contrast, tdl='none', use_prototypes=False)),
])
