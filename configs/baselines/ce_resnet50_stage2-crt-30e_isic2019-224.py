# Baseline CE + cRT, stage 2 on ISIC 2019: freeze the backbone of a CE model, re-train a fresh
# classifier with class-balanced sampling (the CE head.fc keys are not loaded: CRTClsHead).
#   python tools/train.py configs/baselines/resnet50_isic2019_ce_crt_stage2.py \
#       --cfg-options load_from=work_dirs/resnet50_isic2019_ce/epoch_100.pth
_base_ = ['../bdcl/resnet50_isic2019_stage2_crt.py']
