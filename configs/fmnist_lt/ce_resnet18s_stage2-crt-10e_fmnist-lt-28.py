# Fashion-MNIST-LT, CE + cRT stage 2:
#   python tools/train.py configs/fmnist_lt/resnet18s_fmnist_lt_ce_crt_stage2.py \
#       --cfg-options load_from=work_dirs/resnet18s_fmnist_lt_ce/epoch_200.pth
_base_ = ['./resnet18s_fmnist_lt_stage2_crt.py']
