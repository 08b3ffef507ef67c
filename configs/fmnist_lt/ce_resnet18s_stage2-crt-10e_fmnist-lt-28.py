# Fashion-MNIST-LT, CE + cRT stage 2:
#   python tools/train.py configs/fmnist_lt/ce_resnet18s_stage2-crt-10e_fmnist-lt-28.py \
#       --cfg-options load_from=work_dirs/ce_resnet18s_200e_fmnist-lt-28/epoch_200.pth
_base_ = ['./crt_resnet18s_stage2-10e_fmnist-lt-28.py']
