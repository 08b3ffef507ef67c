"""Tiny models for CPU tests, stated once: the hosts' layouts with small widths and one block each.

The tiny HRNet keeps HRNet's four stages and branches, with one block per branch and branch widths
``TINY_HRNET_CHANNELS``; its heads (mmseg's OCRNet pair: an auxiliary FCNHead and an OCRHead over
the four concatenated branches) are shrunk to match. The tools' configs inherit the hosts' own
configs and override only the sizes, the data and the schedule.
"""
import copy

__all__ = [
    'TINY_HRNET_CHANNELS', 'TINY_FCN_SIZES', 'TINY_OCR_SIZES', 'tiny_hrnet_extra', 'shrink_hrnet',
    'tiny_fcn_head', 'tiny_ocr_head', 'tiny_hrnet_ocr_model', 'config_lines', 'seg_tool_config',
    'cls_tool_config', 'two_iteration_seg_run'
]

TINY_HRNET_CHANNELS = [8, 16, 32, 64]
TINY_FCN_SIZES = dict(in_channels=TINY_HRNET_CHANNELS, channels=sum(TINY_HRNET_CHANNELS))
TINY_OCR_SIZES = dict(in_channels=TINY_HRNET_CHANNELS, channels=32, ocr_channels=16)

_STAGE_SIZES = dict(
    stage1=dict(num_blocks=(1, ), num_channels=(16, )),
    stage2=dict(num_blocks=(1, 1), num_channels=(8, 16)),
    stage3=dict(num_modules=1, num_blocks=(1, 1, 1), num_channels=(8, 16, 32)),
    stage4=dict(num_modules=1, num_blocks=(1, 1, 1, 1), num_channels=tuple(TINY_HRNET_CHANNELS)))
_STAGE_LAYOUT = dict(
    stage1=dict(num_modules=1, num_branches=1, block='BOTTLENECK'),
    stage2=dict(num_modules=1, num_branches=2, block='BASIC'),
    stage3=dict(num_branches=3, block='BASIC'),
    stage4=dict(num_branches=4, block='BASIC'))
_MULTI_LEVEL = dict(in_index=(0, 1, 2, 3), input_transform='resize_concat')


def tiny_hrnet_extra(complete=False):
    """``backbone.extra`` of the tiny HRNet.

    Args:
        complete (bool): ``False``: the sizes only, to merge into an HRNet config of mmseg (which
            states the blocks and branches). ``True``: a full ``extra`` for ``type='HRNet'``.

    Returns:
        dict: ``{'stage1': {...}, ..., 'stage4': {...}}``, a fresh copy.
    """
    extra = copy.deepcopy(_STAGE_SIZES)
    if complete:
        for stage, layout in _STAGE_LAYOUT.items():
            extra[stage] = dict(layout, **extra[stage])
    return extra


def shrink_hrnet(model_cfg):
    """Shrink a loaded OCRNet config (HRNet + ``[FCNHead, OCR-type head]``) in place.

    Args:
        model_cfg (mmengine.config.ConfigDict): ``cfg.model`` of an HRNet-OCR config.

    Returns:
        The OCR-type head's config (``model_cfg.decode_head[1]``), to adjust further.
    """
    extra = model_cfg.backbone.extra
    for stage, sizes in tiny_hrnet_extra().items():
        extra[stage].update(sizes)
    fcn, ocr = model_cfg.decode_head
    fcn.update(copy.deepcopy(TINY_FCN_SIZES))
    ocr.update(copy.deepcopy(TINY_OCR_SIZES))
    return ocr


def tiny_fcn_head(num_classes, norm_cfg):
    """The auxiliary FCNHead of OCRNet (loss weight 0.4) over the tiny HRNet's branches."""
    return copy.deepcopy(
        dict(
            type='FCNHead',
            **TINY_FCN_SIZES,
            **_MULTI_LEVEL,
            kernel_size=1,
            num_convs=1,
            concat_input=False,
            dropout_ratio=-1,
            num_classes=num_classes,
            norm_cfg=norm_cfg,
            align_corners=False,
            loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=0.4)))


def tiny_ocr_head(num_classes, norm_cfg, head_type='OCRHead', **extra):
    """An OCR-type head (``'OCRHead'``, ``'BDCLOCRHead'``) over the tiny HRNet's branches.

    Args:
        num_classes (int): Number of classes.
        norm_cfg (dict): Normalisation layers of the head.
        head_type (str): Registered type of the head.
        **extra: Further keys (e.g. the BDCL head's ``proj_channels``, ``loss_contrast``).
    """
    return copy.deepcopy(
        dict(
            type=head_type,
            **TINY_OCR_SIZES,
            **_MULTI_LEVEL,
            dropout_ratio=-1,
            num_classes=num_classes,
            norm_cfg=norm_cfg,
            align_corners=False,
            loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
            **extra))


def tiny_hrnet_ocr_model(num_classes, norm_cfg, head_type='OCRHead', **extra):
    """``model`` overrides that shrink an HRNet-OCR config: backbone stages and both heads.

    Args:
        num_classes (int): Number of classes of both heads.
        norm_cfg (dict): Normalisation layers of both heads.
        head_type (str): Type of the second (OCR-type) head.
        **extra: Further keys of the second head.
    """
    return dict(
        backbone=dict(extra=tiny_hrnet_extra()),
        decode_head=[
            tiny_fcn_head(num_classes, norm_cfg),
            tiny_ocr_head(num_classes, norm_cfg, head_type, **extra)
        ])


def config_lines(**variables):
    """Python config text assigning each variable its ``repr``, one line each."""
    return ''.join(f'{name} = {value!r}\n' for name, value in variables.items())


_SEG_TOOL_TAIL = """
pipeline = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'), dict(type='PackSegInputs')]
dataset = dict(type='BaseSegDataset', data_root=data_root,
               metainfo=dict(classes=('background', 'lesion'), palette=[[0, 0, 0], [255, 0, 0]]),
               img_suffix='.png', seg_map_suffix='.png', pipeline=pipeline,
               data_prefix=dict(img_path='img_dir/train', seg_map_path='ann_dir/train'))
train_dataloader = dict(_delete_=True, batch_size=2, num_workers=0, persistent_workers=False,
                        sampler=dict(type='InfiniteSampler', shuffle=True), dataset=dataset)
val_dataloader = dict(_delete_=True, batch_size=1, num_workers=0, persistent_workers=False,
                      sampler=dict(type='DefaultSampler', shuffle=False), dataset=dataset)
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
train_cfg = dict(type='IterBasedTrainLoop', max_iters=4, val_interval=4)
param_scheduler = [dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end=4, by_epoch=False)]
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=2))
randomness = dict(seed=0)
"""


def seg_tool_config(data_root):
    """mmseg's OCRNet-HRNetV2-W18-Small config, tiny, on a two-class set at ``data_root``
    (``img_dir/train``, ``ann_dir/train``), 4 iterations, 64x64 crops."""
    norm_cfg = dict(type='BN', requires_grad=True)
    model = tiny_hrnet_ocr_model(2, norm_cfg)
    model['backbone']['norm_cfg'] = norm_cfg
    model.update(pretrained=None, data_preprocessor=dict(size=(64, 64)))
    return (
        "_base_ = ['mmseg::ocrnet/ocrnet_hr18s_4xb2-80k_cityscapes-512x1024.py']\n" +
        config_lines(data_root=str(data_root), crop_size=(64, 64), norm_cfg=norm_cfg, model=model) +
        _SEG_TOOL_TAIL)


_CLS_TOOL_CONFIG = """
_base_ = ['mmpretrain::_base_/models/resnet18.py', 'mmpretrain::_base_/default_runtime.py']
model = dict(
    backbone=dict(stem_channels=8, base_channels=8),
    head=dict(num_classes=3, in_channels=64, topk=(1, )))
data_preprocessor = dict(num_classes=3, mean=[127.5] * 3, std=[127.5] * 3, to_rgb=True)
pipeline = [dict(type='LoadImageFromFile'), dict(type='PackInputs')]
dataset = dict(type='CustomDataset', data_root=data_root, data_prefix='train', pipeline=pipeline)
train_dataloader = dict(batch_size=4, num_workers=0, dataset=dataset,
                        sampler=dict(type='DefaultSampler', shuffle=True))
val_dataloader = dict(batch_size=4, num_workers=0, dataset=dataset,
                      sampler=dict(type='DefaultSampler', shuffle=False))
test_dataloader = val_dataloader
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_evaluator = val_evaluator
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=1e-4))
train_cfg = dict(by_epoch=True, max_epochs=2, val_interval=2)
val_cfg = dict()
test_cfg = dict()
default_hooks = dict(logger=dict(interval=1))
randomness = dict(seed=0)
"""


def cls_tool_config(data_root):
    """mmpretrain's ResNet-18 with widths 8..64 on a three-class ``CustomDataset`` at
    ``data_root/train``, 2 epochs."""
    return config_lines(data_root=str(data_root)) + _CLS_TOOL_CONFIG


def two_iteration_seg_run(cfg, data_root):
    """Sets a full mmseg config (in place) to train 2 iterations on ``data_root`` at 64x64.

    No pretrained weights, batch 2 from the unaugmented images, no scheduler, a log line per
    iteration and no validation or checkpoint within the run. The model's widths are the caller's.
    """
    cfg.model.pretrained = None
    cfg.model.data_preprocessor.size = (64, 64)
    pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='LoadAnnotations', reduce_zero_label=False),
        dict(type='PackSegInputs'),
    ]
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].update(batch_size=2, num_workers=0, persistent_workers=False)
        cfg[loader].dataset.update(data_root=data_root, pipeline=pipeline)
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=2, val_interval=100)
    cfg.param_scheduler = []
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=100)
