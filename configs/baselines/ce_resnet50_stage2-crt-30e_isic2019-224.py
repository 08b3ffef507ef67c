# Baseline CE + cRT, stage 2 on ISIC 2019: freeze the backbone of a CE model, re-train a fresh
# classifier with class-balanced sampling (the CE head.fc keys are not loaded: CRTClsHead).
#   python tools/train.py configs/baselines/ce_resnet50_stage2-crt-30e_isic2019-224.py \
#       --cfg-options load_from=work_dirs/ce_resnet50_100e_isic2019-224/epoch_100.pth
_base_ = ['../bdcl/bdcl_resnet50_stage2-crt-30e_isic2019-224.py']
