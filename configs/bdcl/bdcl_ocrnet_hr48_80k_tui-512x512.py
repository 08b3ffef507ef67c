# BDCL on thyroid-ultrasound segmentation (TUI layout): HRNetV2-W48 + OCR, loss
#   CE(OCR) + 0.4 CE(FCN aux) + 0.1 BDCL(sampled pixels), contrast on after a warm-up.
# configs/bdcl/hrnet_ocr_tui.py inherits this file unchanged, so either name trains the same model
# (the work dir follows the name given):
#   python tools/train.py configs/bdcl/hrnet_ocr_tui.py
#   python tools/test.py configs/bdcl/hrnet_ocr_tui.py work_dirs/hrnet_ocr_tui/iter_80000.pth
#   python tools/train.py configs/bdcl/bdcl_ocrnet_hr48_80k_tui-512x512.py
#   python tools/test.py configs/bdcl/bdcl_ocrnet_hr48_80k_tui-512x512.py \
#       work_dirs/bdcl_ocrnet_hr48_80k_tui-512x512/iter_80000.pth
# Data: data/TUI/{img_dir,ann_dir}/{train,val}/*.png, or the synthetic set
#   python tools/dataset_converters/thyroid_us_synth.py data/TUI --num-train 400 --num-val 100
# One GPU, 8 images per iteration (the batch the schedule's lr 0.01 is meant for; about 14.5 GiB
# in fp32, 8.3 GiB with --amp).
# The backbone starts from open-mmlab's ImageNet HRNetV2-W48 weights (network access on first use;
# offline: --cfg-options model.pretrained=/path/to/hrnetv2_w48.pth, or model.pretrained=None).
#
# To add BDCL to another mmseg HRNet + OCR config: add `custom_imports`, keep its decode_head[0]
# and turn decode_head[1] into the BDCL head as below, and add `custom_hooks`.
_base_ = ['../_base_/ocrnet_hr48_tui.py']
custom_imports = dict(imports=['bdcl_mm.seg'], allow_failed_imports=False)

# mmengine replaces lists whole: the base's FCN aux head as it is; index 1 becomes the BDCL head
# (an OCRHead whose training loss adds the pixel-contrast term).
model = dict(decode_head=[
    _base_.model.decode_head[0],
    dict(
        _base_.model.decode_head[1],
        type='BDCLOCRHead',
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
            # balanced, geometric mean tau_init, time constant 1/tdl_lr updates, on running
            # per-class margins with a memory of 1/margin_momentum updates; 'none' = fixed
            tdl='balance',
            tau_init=0.1,
            tau_min=0.03,
            tau_max=1.0,
            tdl_lr=0.01,
            margin_momentum=0.01,
            use_prototypes=True,  # Hard Example Prototypes, EMA momentum 0.1
            momentum=0.1)),
])

# BDCLHook applies the prototype (HEP) and temperature (TDL) updates after each iteration and
# logs the per-class temperatures; SegNumClassesCheckHook checks num_classes before training.
custom_hooks = [
    dict(type='BDCLHook', log_interval=500),
    dict(type='SegNumClassesCheckHook'),
]
