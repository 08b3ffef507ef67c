# BDCL on thyroid-ultrasound segmentation (TUI layout): HRNetV2-W48 + OCR, loss
#   CE(OCR) + 0.4 CE(FCN aux) + 0.1 BDCL(sampled pixels), contrast on after a warm-up.
#   python tools/train.py configs/bdcl/hrnet_ocr_tui.py
#   python tools/test.py configs/bdcl/hrnet_ocr_tui.py work_dirs/hrnet_ocr_tui/iter_80000.pth
# Data: data/TUI/{img_dir,ann_dir}/{train,val}/*.png, or the synthetic set
#   python tools/dataset_converters/thyroid_us_synth.py data/TUI --num-train 400 --num-val 100
# The backbone starts from open-mmlab's ImageNet HRNetV2-W48 weights (network access on first use;
# offline: --cfg-options model.pretrained=/path/to/hrnetv2_w48.pth, or model.pretrained=None).
#
# To add BDCL to another mmseg HRNet + OCR config, copy `custom_imports`, `model.decode_head`
# (index 1 is the BDCL head; set num_classes) and `custom_hooks`.
_base_ = ['../_base_/ocrnet_hr48_tui.py']
custom_imports = dict(imports=['bdcl_mm.seg'], allow_failed_imports=False)

num_classes = 3
norm_cfg = dict(type='SyncBN', requires_grad=True)
# mmengine replaces lists wholesale, so both heads of the cascade are restated; index 1 is the
# BDCL head (an OCRHead whose training loss adds the pixel-contrast term).
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
        # projection 720 -> 720 -> 256 on the sampled pixels, L2-normalised
        proj_channels=256,
        # per image and class up to 100 pixels (half mis-predicted), at most 1024 per batch,
        # shared fairly between classes (a small nodule keeps every pixel it has)
        max_views=100,
        max_samples=1024,
        contrast_warmup_iters=4000,
        loss_contrast=dict(
            type='BDCLLoss',
            loss_weight=0.1,
            # Temperature Dynamic Learning (docs/tdl_rule_choice.md): per-class logit gaps
            # balanced, geometric mean tau_init, time constant 1/tdl_lr updates; 'none' = fixed
            tdl='balance',
            tau_init=0.1,
            tau_min=0.03,
            tau_max=1.0,
            tdl_lr=0.01,
            use_prototypes=True,  # Hard Example Prototypes, EMA momentum 0.1
            momentum=0.1)),
])

# BDCLHook applies the prototype (HEP) and temperature (TDL) updates after each iteration and
# logs the per-class temperatures; SegNumClassesCheckHook checks num_classes before training.
custom_hooks = [
    dict(type='BDCLHook', log_interval=500),
    dict(type='SegNumClassesCheckHook'),
]
