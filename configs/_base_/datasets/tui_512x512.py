# Thyroid-ultrasound segmentation data in the TUI layout (3 classes: background, benign, malignant)
# at 512x512, for configs composed from MMSegmentation's packaged model / runtime / schedule bases
# (configs/bdcl/bdcl_*_tui-512x512.py, configs/_base_/ocrnet_hr48_tui.py).
# Real TUI data, or the synthetic set:
#   python tools/dataset_converters/thyroid_us_synth.py data/TUI --num-train 400 --num-val 100
dataset_type = 'ThyroidUSDataset'
data_root = 'data/TUI'
num_classes = 3  # background, benign, malignant
crop_size = (512, 512)
# Ultrasound augmentation: scale jitter, crop (preferring crops that are not all background),
# left-right flip only (depth runs down the rows: shadows and attenuation have a direction),
# brightness / contrast jitter; no colour jitter.
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
# One GPU, 8 images per iteration. With N GPUs use batch_size=8 // N to keep the total at 8.
train_dataloader = dict(
    batch_size=8,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
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
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='img_dir/val', seg_map_path='ann_dir/val'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
# IoU / Dice of the whole set (mmseg) and per-image Dice, HD95, ASSD per class (bdcl_mm; pixels:
# give SurfaceDistanceMetric(spacing=...) for millimetres). docs/segmentation.md, "Evaluation".
val_evaluator = [
    dict(type='IoUMetric', iou_metrics=['mIoU', 'mDice']),
    dict(type='SurfaceDistanceMetric'),
]
test_evaluator = val_evaluator
