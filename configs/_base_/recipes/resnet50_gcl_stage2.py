# GCL stage 2 with ResNet-50, on the plugin's cRT recipe (./resnet50_crt_stage2.py: stage-1
# backbone loaded and frozen, weights and BN statistics, 30 epochs): the cosine classifier is
# re-trained with class-balanced sampling and the GCL loss of the reference's classifier stage
# (m 0.1, s 20, noise_mul 0.5, focal gamma 1). The head is CosineClsHead as in stage 1 (keys
# head.fc.*), so load_from also restores stage 1's classifier, which stage 2 starts from (the
# reference does). A config adds a dataset, sets num_classes and the sampler:
#   train_dataloader = dict(
#       sampler=dict(_delete_=True, type='ClassBalancedSampler', num_samples_cls=4))
_base_ = ['./resnet50_crt_stage2.py']

model = dict(
    head=dict(
        _delete_=True,
        type='CosineClsHead',
        in_channels=2048,
        topk=(1, ),
        loss=dict(type='GCLLoss', m=0.1, s=20.0, noise_mul=0.5, gamma=1.0)))

custom_hooks = [dict(type='BackboneLoadCheckHook'), dict(type='ClassCountsHook')]
