# BDCL stage 2 (classifier re-training, cRT) on Hyper-Kvasir (recipe:
# ../_base_/recipes/resnet50_crt_stage2.py), class-balanced sampling (num_samples_cls=4).
#   python tools/train.py configs/bdcl/bdcl_resnet50_stage2-crt-30e_hyper-kvasir-224.py \
#       --cfg-options load_from=work_dirs/bdcl_resnet50_stage1-100e_hyper-kvasir-224/epoch_100.pth
_base_ = [
    '../_base_/recipes/resnet50_crt_stage2.py',
    '../_base_/datasets/hyper_kvasir.py',
]

model = dict(head=dict(num_classes=23))
train_dataloader = dict(sampler=dict(_delete_=True, type='ClassBalancedSampler', num_samples_cls=4))
