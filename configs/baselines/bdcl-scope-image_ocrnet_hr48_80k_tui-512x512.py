# Variant: BDCL with the paper's per-image pixel contrast (scope='image': an anchor is contrasted
# only with pixels of its own image; docs/contrast_scope.md) in place of the default 'batch';
# everything else as configs/bdcl/bdcl_ocrnet_hr48_80k_tui-512x512.py.
_base_ = ['../bdcl/bdcl_ocrnet_hr48_80k_tui-512x512.py']

# Only the head's contrast scope changes; the cascade is rebuilt from the base's two heads
# (mmengine replaces lists whole, so the list is restated from the base's own entries).
fcn_head, bdcl_head = _base_.model.decode_head
model = dict(decode_head=[fcn_head, dict(bdcl_head, scope='image')])
