# Fashion-MNIST-LT, BDCL stage 1 with the plugin's default temperature rule 'balance' (per-class
# logit gaps balanced, geometric mean tau_init; docs/tdl_rule_choice.md).
_base_ = ['./resnet18s_fmnist_lt_stage1_bdcl.py']

model = dict(head=dict(loss_contrast=dict(tdl='balance')))
