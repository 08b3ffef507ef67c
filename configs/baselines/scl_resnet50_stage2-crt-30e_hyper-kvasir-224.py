# Baseline SCL + cRT, stage 2 on Hyper-Kvasir:
#   python tools/train.py configs/baselines/resnet50_hyper_kvasir_scl_crt_stage2.py \
#       --cfg-options load_from=work_dirs/resnet50_hyper_kvasir_scl_stage1/epoch_100.pth
_base_ = ['../bdcl/resnet50_hyper_kvasir_stage2_crt.py']
