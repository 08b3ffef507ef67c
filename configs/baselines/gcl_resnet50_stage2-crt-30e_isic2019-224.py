# Rival GCL, stage 2 on ISIC 2019: the frozen stage-1 backbone, stage 1's cosine classifier
# re-trained with class-balanced sampling and GCL (m 0.1, s 20, focal gamma 1)
# (recipe: ../_base_/recipes/resnet50_gcl_stage2.py).
#   python tools/train.py configs/baselines/gcl_resnet50_stage2-crt-30e_isic2019-224.py \
#       --cfg-options load_from=work_dirs/gcl_resnet50_stage1-100e_isic2019-224/epoch_100.pth
_base_ = [
    '../_base_/recipes/resnet50_gcl_stage2.py',
    '../_base_/datasets/isic2019.py',
]

model = dict(head=dict(num_classes=8))
train_dataloader = dict(sampler=dict(_delete_=True, type='ClassBalancedSampler', num_samples_cls=4))
