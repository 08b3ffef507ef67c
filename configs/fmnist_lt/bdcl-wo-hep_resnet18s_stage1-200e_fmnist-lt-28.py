# Fashion-MNIST-LT, BDCL w/o HEP stage 1 (learned temperatures with the paper's rule, no
# prototypes): the benchmark's 'BDCL w/o HEP + cRT (TDL paper)' row.
_base_ = ['./bdcl-tdl-paper_resnet18s_stage1-200e_fmnist-lt-28.py']

model = dict(head=dict(loss_contrast=dict(use_prototypes=False)))
