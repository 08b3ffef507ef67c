"""tools/test.py with IoUMetric beside SurfaceDistanceMetric: both tables, and --out still works."""
import glob
import os.path as osp

from tests._shared.tool_runner import run_tool

EVALUATORS = """
test_evaluator = [dict(type='IoUMetric', iou_metrics=['mIoU', 'mDice']),
                  dict(type='SurfaceDistanceMetric', per_image_csv='surface.csv')]
custom_imports = dict(imports=['bdcl_mm.seg'], allow_failed_imports=False)
"""


def test_test_tool_prints_iou_dice_hd95_assd_per_class(seg_setup):
    root, config = seg_setup
    config.write_text(config.read_text() + EVALUATORS)
    work = root / 'work'
    run_tool('train.py', config, '--work-dir', work, '--cfg-options', 'train_cfg.max_iters=2',
             'train_cfg.val_interval=2', cwd=root)
    out = root / 'masks'
    tested = run_tool('test.py', config, work / 'iter_2.pth', '--work-dir', root / 'test', '--out',
                      out, cwd=root)
    log = tested.stdout + tested.stderr
    assert 'per class results:' in log and 'per class surface distances (px):' in log
    for column in ('IoU', 'Dice', 'HD95 (px)', 'ASSD (px)', 'missed'):
        assert column in log
    assert 'mIoU' in log and 'mHD95' in log and 'sd_mDice' in log
    assert len(glob.glob(str(out / '*.png'))) == 4  # IoUMetric got --out
    assert len(glob.glob(str(root / 'test' / '*' / 'surface.csv'))) == 1
    assert not osp.exists(root / 'work_dirs')
