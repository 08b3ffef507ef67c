# Shared base of the CPU-sized demo configs: MMSegmentation's HRNetV2-W18-small + OCR config with
# plain BN, narrower OCR heads (256 / 128 channels) and the host's plain cascade [FCNHead (aux,
# CE x 0.4), OCRHead (CE)], trained from scratch at 128x128 on the small synthetic
# thyroid-ultrasound set (data/TUI_demo, written by tools/dataset_converters/thyroid_us_synth.py)
# for 600 iterations. configs/demo/bdcl_ocrnet_hr18s_600it_tui-demo-128x128.py turns the OCR head
# into the BDCL head; benchmarks/configs/seg_ocr_ce_hr18s_tui_bench.py is this file as it is.
_base_ = ['mmseg::ocrnet/ocrnet_hr18s_4xb2-80k_cityscapes-512x1024.py']
default_scope = 'mmseg'
custom_imports = dict(imports=['bdcl_mm.seg'], allow_failed_imports=False)

num_classes = 3
crop_size = (128, 128)
dataset_type = 'ThyroidUSDataset'
data_root = 'data/TUI_demo'
max_iters = 600
norm_cfg = dict(type='BN', requires_grad=True)
# mmengine replaces lists whole: the host's two heads, each updated in place.
model = dict(
    data_preprocessor=dict(size=crop_size),
    pretrained=None,
    backbone=dict(norm_cfg=norm_cfg),
    decode_head=[
        dict(_base_.model.decode_head[0], num_classes=num_classes, norm_cfg=norm_cfg),
        dict(
            _base_.model.decode_head[1],
            channels=256,
            ocr_channels=128,
            num_classes=num_classes,
            norm_cfg=norm_cfg),
    ])

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', reduce_zero_label=False),
    dict(type='RandomResize', scale=crop_size, ratio_range=(0.8, 1.25), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.95),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=crop_size, keep_ratio=True),
    dict(type='LoadAnnotations', reduce_zero_label=False),
    dict(type='PackSegInputs'),
]
# Samplers and persistent workers as the host's loaders; the host's dataset is replaced.
train_dataloader = dict(
    batch_size=8,
    num_workers=1,
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='img_dir/train', seg_map_path='ann_dir/train'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=4,
    num_workers=1,
    dataset=dict(
        _delete_=True,
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

optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=5e-4),
    clip_grad=None)
param_scheduler = [
    dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end=max_iters, by_epoch=False)
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=max_iters, max_keep_ckpts=1))
custom_hooks = [dict(type='SegNumClassesCheckHook')]
