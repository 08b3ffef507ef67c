# Shared base of the thyroid-ultrasound (TUI) segmentation configs: MMSegmentation's HRNetV2-W48 +
# OCR config as it is (SyncBN, which the Runner turns into BN when not distributed; schedule_80k:
# SGD lr 0.01, momentum 0.9, weight decay 5e-4, poly LR, 80k iterations) with the TUI data
# (3 classes: background, benign, malignant) in place of Cityscapes. The heads here are the host's
# plain [FCNHead (aux, CE x 0.4), OCRHead (CE)] cascade: configs/baselines/ocrnet_hr48_ce_tui.py.
#
# (mmengine forbids a key in two sibling bases, so the TUI data settings live in this file, which
# inherits the host config, rather than in a separate dataset base.)
_base_ = ['mmseg::ocrnet/ocrnet_hr48_4xb2-80k_cityscapes-512x1024.py']
default_scope = 'mmseg'
custom_imports = dict(imports=['bdcl_mm.seg'], allow_failed_imports=False)

num_classes = 3
crop_size = (512, 512)
dataset_type = 'ThyroidUSDataset'
# Real TUI data, or the synthetic set:
#   python tools/dataset_converters/thyroid_us_synth.py data/TUI --num-train 400 --num-val 100
data_root = 'data/TUI'
norm_cfg = dict(type='SyncBN', requires_grad=True)
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
    size=crop_size)
model = dict(
    data_preprocessor=data_preprocessor,
    # ImageNet HRNetV2-W48 weights from open-mmlab, downloaded on first use (needs network access;
    # cached under ~/.cache/torch/hub/checkpoints afterwards). Offline: put the file there, or
    # --cfg-options model.pretrained=/path/to/hrnetv2_w48.pth (or model.pretrained=None to train
    # from scratch).
    pretrained='open-mmlab://msra/hrnetv2_w48',
    decode_head=[
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
            type='OCRHead',
            in_channels=[48, 96, 192, 384],
            channels=512,
            ocr_channels=256,
            in_index=(0, 1, 2, 3),
            input_transform='resize_concat',
            dropout_ratio=-1,
            num_classes=num_classes,
            norm_cfg=norm_cfg,
            align_corners=False,
            loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    ])

# Ultrasound augmentation: scale jitter, crop (preferring crops that are not all background),
# left-right flip only (depth runs down the rows: shadows and attenuation have a direction),
# brightness / contrast jitter (gain and dynamic range vary between scanners); no colour jitter.
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', reduce_zero_label=False),
    dict(type='RandomResize', scale=(512, 512), ratio_range=(0.75, 1.5), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.95),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(
        type='PhotoMetricDistortion',
        brightness_delta=24,
        contrast_range=(0.75, 1.25),
        saturation_range=(1.0, 1.0),
        hue_delta=1),  # hue and saturation leave gray images unchanged
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(512, 512), keep_ratio=True),
    dict(type='LoadAnnotations', reduce_zero_label=False),
    dict(type='PackSegInputs'),
]
img_ratios = [0.75, 1.0, 1.25]
tta_pipeline = [
    dict(type='LoadImageFromFile', backend_args=None),
    dict(
        type='TestTimeAug',
        transforms=[[dict(type='Resize', scale_factor=r, keep_ratio=True) for r in img_ratios],
                    [
                        dict(type='RandomFlip', prob=0., direction='horizontal'),
                        dict(type='RandomFlip', prob=1., direction='horizontal')
                    ], [dict(type='LoadAnnotations')], [dict(type='PackSegInputs')]])
]
# One GPU, 8 images per iteration (the batch the schedule's lr 0.01 is meant for; about 14.5 GiB
# in fp32, 8.3 GiB with --amp). With N GPUs use batch_size=8 // N to keep the total at 8.
train_dataloader = dict(
    batch_size=8,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='img_dir/train', seg_map_path='ann_dir/train'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='img_dir/val', seg_map_path='ann_dir/val'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU', 'mDice'])
test_evaluator = val_evaluator

# Fails before the first iteration when a head's num_classes disagrees with the dataset.
custom_hooks = [dict(type='SegNumClassesCheckHook')]
