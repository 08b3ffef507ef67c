# Baseline SCL + cRT, stage 2 on Hyper-Kvasir:
#   python tools/train.py configs/baselines/scl_resnet50_stage2-crt-30e_hyper-kvasir-224.py \
#       --cfg-options load_from=work_dirs/scl_resnet50_stage1-100e_hyper-kvasir-224/epoch_100.pth
_base_ = ['../bdcl/bdcl_resnet50_stage2-crt-30e_hyper-kvasir-224.py']
