# BDCL stage 2 (classifier re-training, cRT) on ISIC 2019 (recipe:
# ../_base_/recipes/resnet50_crt_stage2.py), class-balanced sampling (num_samples_cls=4).
#   python tools/train.py configs/bdcl/resnet50_isic2019_stage2_crt.py \
#       --cfg-options load_from=work_dirs/resnet50_isic2019_stage1_bdcl/epoch_100.pth
_base_ = [
    '../_base_/recipes/resnet50_crt_stage2.py',
    '../_base_/datasets/isic2019.py',
]

model = dict(head=dict(num_classes=8))
train_dataloader = dict(sampler=dict(_delete_=True, type='ClassBalancedSampler', num_samples_cls=4))
