# The TUI data of ./tui_512x512.py as one variable, `tui`, for a config that inherits a full stock
# mmseg config (model, data, runtime and schedule). Such a config already defines
# train_dataloader & co., and mmengine refuses two bases that define the same key ("Duplicate key
# is not allowed among bases"), so ./tui_512x512.py cannot be its second base; this file can.
# Each dataloader carries `_delete_=True`, so assigning it replaces the stock one whole (a stock
# dataset wrapper such as DRIVE's RepeatDataset does not survive a merge); the evaluators are a
# list (IoU and surface distances), which replaces the stock evaluator without a merge:
#   _base_ = ['mmseg::unet/unet-s5-d16_fcn_4xb4-40k_drive-64x64.py',
#             '<bdcl_mm>/configs/_base_/datasets/tui_512x512_swap.py']
#   model = dict(data_preprocessor=dict(size=_base_.tui.crop_size), ...)
#   train_dataloader = _base_.tui.train_dataloader
#   val_dataloader = _base_.tui.val_dataloader
#   test_dataloader = _base_.tui.test_dataloader
#   val_evaluator = _base_.tui.val_evaluator
#   test_evaluator = _base_.tui.test_evaluator
# The README's "Add BDCL to your model" shows it whole. The settings are those of
# ./tui_512x512.py (tests/test_seg/test_readme_recipe.py checks that the two agree).
tui = dict(
    num_classes=3,  # background, benign, malignant
    crop_size=(512, 512),
    train_dataloader=dict(
        _delete_=True,
        batch_size=8,
        num_workers=4,
        persistent_workers=True,
        sampler=dict(type='InfiniteSampler', shuffle=True),
        dataset=dict(
            type='ThyroidUSDataset',
            data_root='data/TUI',
            data_prefix=dict(img_path='img_dir/train', seg_map_path='ann_dir/train'),
            pipeline=[
                dict(type='LoadImageFromFile'),
                dict(type='LoadAnnotations', reduce_zero_label=False),
                dict(
                    type='RandomResize',
                    scale=(512, 512),
                    ratio_range=(0.75, 1.5),
                    keep_ratio=True),
                dict(type='RandomCrop', crop_size=(512, 512), cat_max_ratio=0.95),
                dict(type='RandomFlip', prob=0.5, direction='horizontal'),
                dict(
                    type='PhotoMetricDistortion',
                    brightness_delta=24,
                    contrast_range=(0.75, 1.25),
                    saturation_range=(1.0, 1.0),
                    hue_delta=1),
                dict(type='PackSegInputs'),
            ])),
    val_dataloader=dict(
        _delete_=True,
        batch_size=1,
        num_workers=2,
        persistent_workers=True,
        sampler=dict(type='DefaultSampler', shuffle=False),
        dataset=dict(
            type='ThyroidUSDataset',
            data_root='data/TUI',
            data_prefix=dict(img_path='img_dir/val', seg_map_path='ann_dir/val'),
            pipeline=[
                dict(type='LoadImageFromFile'),
                dict(type='Resize', scale=(512, 512), keep_ratio=True),
                dict(type='LoadAnnotations', reduce_zero_label=False),
                dict(type='PackSegInputs'),
            ])),
    val_evaluator=[
        dict(type='IoUMetric', iou_metrics=['mIoU', 'mDice']),
        dict(type='SurfaceDistanceMetric'),
    ],
)
tui['test_dataloader'] = tui['val_dataloader']
tui['test_evaluator'] = tui['val_evaluator']
