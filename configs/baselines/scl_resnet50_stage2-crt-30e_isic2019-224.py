# Baseline SCL + cRT, stage 2 on ISIC 2019:
#   python tools/train.py configs/baselines/resnet50_isic2019_scl_crt_stage2.py \
#       --cfg-options load_from=work_dirs/resnet50_isic2019_scl_stage1/epoch_100.pth
_base_ = ['../bdcl/resnet50_isic2019_stage2_crt.py']
