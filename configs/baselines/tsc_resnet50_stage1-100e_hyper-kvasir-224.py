# Baseline TSC + cRT, stage 1 on Hyper-Kvasir: targeted supervised contrastive learning (Li et al.,
# CVPR 2022; reference LTH14/targeted-supcon) in its in-batch SupCon form (no MoCo queue), on the
# BDCL stage-1 recipe (two views per image, projection 2048 -> 2048 -> 128, linear classifier on
# detached features): class targets spread on the sphere, EMA class centroids assigned to them
# (Hungarian) by BDCLHook, temperature 0.07, target weight 0.2.
# Stage 2 (the plugin's cRT): tsc_resnet50_stage2-crt-30e_hyper-kvasir-224.py.
_base_ = ['../bdcl/bdcl_resnet50_stage1-100e_hyper-kvasir-224.py']

model = dict(
    head=dict(
        loss_contrast=dict(
            _delete_=True, type='TSCLoss', temperature=0.07, target_weight=0.2, momentum=0.1)))
