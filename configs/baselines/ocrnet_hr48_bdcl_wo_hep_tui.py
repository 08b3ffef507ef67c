# Ablation: BDCL without Hard Example Prototypes (TDL on); everything else as
# configs/bdcl/hrnet_ocr_tui.py.
_base_ = ['../_base_/ocrnet_hr48_tui.py']

num_classes = 3
norm_cfg = dict(type='SyncBN', requires_grad=True)
# mmengine replaces lists wholesale: both heads of the cascade are restated.
model = dict(decode_head=[
    dict(
        type='FCNHead',
        in_channels=[48, 96, 192, 384],
        channels=sum([48, 96, 192, 384]),
        in_index=(0, 1, 2, 3),
        input_transform='resize_concat',
        kernel_size=1,
        num_convs=1,
        concat_input=False,
        dropout_ratio=-1,
        num_classes=num_classes,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=0.4)),
    dict(
        type='BDCLOCRHead',
        in_channels=[48, 96, 192, 384],
        channels=512,
        ocr_channels=256,
        in_index=(0, 1, 2, 3),
        input_transform='resize_concat',
        dropout_ratio=-1,
        num_classes=num_classes,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
        proj_channels=256,
        max_views=100,
        max_samples=1024,
        contrast_warmup_iters=4000,
        loss_contrast=dict(
            type='BDCLLoss',
            loss_weight=0.1,
            tdl='paper',
            tau_init=0.1,
            tdl_lr=3e-6,
            use_prototypes=False,
            momentum=0.1)),
])

custom_hooks = [
    dict(type='BDCLHook', log_interval=500),
    dict(type='SegNumClassesCheckHook'),
]
