# BDCL on BUSI breast-ultrasound segmentation (data/BUSI, TUI layout): the headline
# HRNetV2-W48 + OCR config ./bdcl_ocrnet_hr48_80k_tui-512x512.py on the BUSI data.
#   python tools/dataset_converters/busi.py /path/to/Dataset_BUSI_with_GT data/BUSI
#   python tools/train.py configs/bdcl/bdcl_ocrnet_hr48_80k_busi-512x512.py
#   python tools/test.py configs/bdcl/bdcl_ocrnet_hr48_80k_busi-512x512.py \
#       work_dirs/bdcl_ocrnet_hr48_80k_busi-512x512/iter_80000.pth
# The headline config already holds the TUI dataset base and mmengine forbids a key in two bases,
# so the loaders take the data root of ../_base_/datasets/busi_512x512.py here (the config tests
# check that both give the same loaders and evaluators).
_base_ = ['./bdcl_ocrnet_hr48_80k_tui-512x512.py']

data_root = 'data/BUSI'
train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
