# Baseline TSC + cRT, stage 2 on ISIC 2019 (the plugin's cRT on the frozen TSC backbone):
#   python tools/train.py configs/baselines/tsc_resnet50_stage2-crt-30e_isic2019-224.py \
#       --cfg-options load_from=work_dirs/tsc_resnet50_stage1-100e_isic2019-224/epoch_100.pth
_base_ = ['../bdcl/bdcl_resnet50_stage2-crt-30e_isic2019-224.py']
