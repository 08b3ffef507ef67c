# Fashion-MNIST-LT, TSC stage 1 (targeted supervised contrastive, in-batch SupCon form, temperature
# 0.07, target weight 0.2) for TSC + cRT: the BDCL stage-1 model with its loss replaced. Stage 2:
# crt_resnet18s_stage2-10e_fmnist-lt-28.py with
#   --cfg-options load_from=work_dirs/tsc_resnet18s_stage1-200e_fmnist-lt-28/epoch_200.pth
_base_ = ['./bdcl_resnet18s_stage1-200e_fmnist-lt-28.py']

model = dict(
    head=dict(
        loss_contrast=dict(
            _delete_=True, type='TSCLoss', temperature=0.07, target_weight=0.2, momentum=0.1)))
