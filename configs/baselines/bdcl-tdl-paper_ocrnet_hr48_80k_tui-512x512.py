# Variant: BDCL with the paper's stated TDL gradient (tdl='paper', its step size BDCLLoss's default
# for the rule) in place of the default rule 'balance' (docs/tdl_rule_choice.md); everything else
# as configs/bdcl/bdcl_ocrnet_hr48_80k_tui-512x512.py.
_base_ = ['../bdcl/bdcl_ocrnet_hr48_80k_tui-512x512.py']

# Only the contrastive loss's switches change; the cascade is rebuilt from the base's two heads
# (mmengine replaces lists whole, so the list is restated from the base's own entries).
fcn_head, bdcl_head = _base_.model.decode_head
model = dict(decode_head=[
    fcn_head,
    dict(bdcl_head, loss_contrast=dict(bdcl_head.loss_contrast, tdl='paper', tdl_lr=None)),
])
