"""tools/train.py and tools/test.py on a converted BUSI-like tree with the BUSI UNet config, shrunk
(48x40 images resized to 64 wide, 8-channel UNet, 2 iterations); the rest is the shipped config."""
import os.path as osp

from tests._shared.busi_tree import make_busi_tree
from tests._shared.paths import CONFIGS
from tests._shared.tiny_configs import config_lines
from tests._shared.tool_runner import run_tool

CONFIG = osp.join(CONFIGS, 'bdcl', 'bdcl_unet-s5-d16_fcn_80k_busi-512x512.py')
TINY = """
model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone=dict(base_channels=8),
    decode_head=dict(in_channels=8, channels=8, proj_channels=16, max_views=16, max_samples=64,
                     contrast_warmup_iters=0),
    auxiliary_head=dict(in_channels=16, channels=8))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', reduce_zero_label=False),
    dict(type='Resize', scale=crop_size, keep_ratio=False),
    dict(type='PackSegInputs'),
]
# as the BUSI base, smaller: the aspect ratio is kept, so the UNet's input is padded to a multiple
# of 16 by the config's data preprocessor
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=crop_size, keep_ratio=True),
    dict(type='LoadAnnotations', reduce_zero_label=False),
    dict(type='PackSegInputs'),
]
loader = dict(num_workers=0, persistent_workers=False)
train_dataloader = dict(loader, batch_size=2, dataset=dict(data_root=data_root,
                                                           pipeline=train_pipeline))
val_dataloader = dict(loader, dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader
train_cfg = dict(max_iters=2, val_interval=2)
param_scheduler = [dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end=2, by_epoch=False)]
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=2))
randomness = dict(seed=0)
"""


def test_busi_config_trains_and_tests_on_a_converted_tree(tmp_path):
    make_busi_tree(tmp_path / 'src', counts=(5, 5, 5), size=(48, 40))
    converted = run_tool(
        'dataset_converters/busi.py', tmp_path / 'src', tmp_path / 'BUSI', '--quiet', cwd=tmp_path)
    assert 'all    ' in converted.stdout
    config = tmp_path / 'tiny_busi_unet.py'
    config.write_text(f'_base_ = [{CONFIG!r}]\n' +
                      config_lines(data_root=str(tmp_path / 'BUSI'), crop_size=(64, 64)) + TINY)
    work = tmp_path / 'work'
    run_tool('train.py', config, '--work-dir', work, cwd=tmp_path)
    assert osp.isfile(work / 'iter_2.pth')
    tested = run_tool(
        'test.py', config, work / 'iter_2.pth', '--work-dir', tmp_path / 'test', cwd=tmp_path)
    log = tested.stdout + tested.stderr
    header = next(line for line in log.splitlines() if 'Class' in line and 'IoU' in line)
    assert 'Dice' in header
    rows = {line.split('|')[1].strip() for line in log.splitlines() if line.count('|') > 3}
    assert {'background', 'benign', 'malignant'} <= rows
    assert 'mIoU' in log and 'mDice' in log
    surface = next(line for line in log.splitlines() if 'HD95 (px)' in line)
    assert 'ASSD (px)' in surface and 'Dice' in surface
    assert 'mHD95' in log and 'mASSD' in log and 'sd_mDice' in log
