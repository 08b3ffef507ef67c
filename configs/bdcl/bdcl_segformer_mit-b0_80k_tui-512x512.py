# BDCL on thyroid-ultrasound segmentation (TUI layout) with MMSegmentation's SegFormer (MiT-B0):
#   CE(SegformerHead) + 0.1 BDCL(sampled pixels of the decode head's pre-classifier features,
#   256 channels at 1/4 resolution). Optimiser as mmseg's SegFormer configs (AdamW, lr 6e-5,
#   linear warm-up then poly), over 80k iterations.
#   python tools/train.py configs/bdcl/bdcl_segformer_mit-b0_80k_tui-512x512.py
# The backbone starts from open-mmlab's ImageNet MiT-B0 weights (network access on first use;
# offline: --cfg-options model.backbone.init_cfg.checkpoint=/path/to/mit_b0.pth, or
# model.backbone.init_cfg=None to train from scratch).
_base_ = [
    'mmseg::_base_/models/segformer_mit-b0.py', '../_base_/datasets/tui_512x512.py',
    'mmseg::_base_/default_runtime.py', 'mmseg::_base_/schedules/schedule_80k.py',
    '../_base_/bdcl_decode_head.py'
]

checkpoint = 'https://download.openmmlab.com/mmsegmentation/v0.5/pretrain/segformer/mit_b0_20220624-7e0fe6dd.pth'  # noqa

# The BDCL head settings: ../_base_/bdcl_decode_head.py.
model = dict(
    data_preprocessor=dict(size=_base_.crop_size),
    backbone=dict(init_cfg=dict(type='Pretrained', checkpoint=checkpoint)),
    decode_head=dict(
        _base_.bdcl_decode_head, host_type='SegformerHead', num_classes=_base_.num_classes))

optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=0.00006, betas=(0.9, 0.999), weight_decay=0.01),
    paramwise_cfg=dict(
        custom_keys={
            'pos_block': dict(decay_mult=0.),
            'norm': dict(decay_mult=0.),
            'head': dict(lr_mult=10.)
        }))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6, by_epoch=False, begin=0, end=1500),
    dict(type='PolyLR', eta_min=0.0, power=1.0, begin=1500, end=80000, by_epoch=False),
]
