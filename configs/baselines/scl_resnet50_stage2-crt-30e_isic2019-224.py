# Baseline SCL + cRT, stage 2 on ISIC 2019:
#   python tools/train.py configs/baselines/scl_resnet50_stage2-crt-30e_isic2019-224.py \
#       --cfg-options load_from=work_dirs/scl_resnet50_stage1-100e_isic2019-224/epoch_100.pth
_base_ = ['../bdcl/bdcl_resnet50_stage2-crt-30e_isic2019-224.py']
