# BUSI (Breast Ultrasound Images, Al-Dhabyani et al., Data in Brief 2020) in the TUI layout at
# 512x512: the same 3 classes (background, benign, malignant), pipelines, loaders and evaluator as
# ./tui_512x512.py; only the data root differs. BUSI is not redistributed: download the release
# and convert its Dataset_BUSI_with_GT/ folder (docs/segmentation.md, "Data"):
#   python tools/dataset_converters/busi.py /path/to/Dataset_BUSI_with_GT data/BUSI
_base_ = ['./tui_512x512.py']

data_root = 'data/BUSI'
train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
