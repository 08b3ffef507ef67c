# Fashion-MNIST-LT rival GCL, stage 2 on the cRT recipe (./crt_resnet18s_stage2-10e_fmnist-lt-28.py:
# frozen backbone, class-balanced sampling): stage 1's cosine classifier (same keys head.fc.*,
# restored by load_from) re-trained with GCL (m 0.1, s 20, noise_mul 0.5, focal gamma 1).
#   python tools/train.py configs/fmnist_lt/gcl_resnet18s_stage2-crt-10e_fmnist-lt-28.py \
#       --cfg-options load_from=work_dirs/gcl_resnet18s_stage1-200e_fmnist-lt-28/epoch_200.pth
_base_ = ['./crt_resnet18s_stage2-10e_fmnist-lt-28.py']

model = dict(
    head=dict(
        _delete_=True,
        type='CosineClsHead',
        num_classes=10,
        in_channels=128,
        topk=(1, ),
        loss=dict(type='GCLLoss', m=0.1, s=20.0, noise_mul=0.5, gamma=1.0)))
custom_hooks = [dict(type='BackboneLoadCheckHook'), dict(type='ClassCountsHook')]
