"""tools/train.py, --resume and tools/test.py on tiny real mmseg and mmpretrain models."""
import os.path as osp

from tests._shared.tool_runner import run_tool


def test_seg_train_resume_test(seg_setup):
    root, config = seg_setup
    work = root / 'work'
    run_tool('train.py', config, '--work-dir', work, '--cfg-options', 'train_cfg.max_iters=2',
             cwd=root)
    assert osp.isfile(work / 'iter_2.pth')

    resumed = run_tool('train.py', config, '--work-dir', work, '--resume', cwd=root)
    log = resumed.stdout + resumed.stderr
    assert 'resumed epoch: 0, iter: 2' in log
    assert osp.isfile(work / 'iter_4.pth')

    tested = run_tool('test.py', config, work / 'iter_4.pth', '--work-dir', root / 'test', cwd=root)
    log = tested.stdout + tested.stderr
    assert 'mIoU' in log and 'lesion' in log
    assert not list(root.glob('work_dirs'))


def test_seg_resume_from_explicit_checkpoint(seg_setup):
    root, config = seg_setup
    run_tool('train.py', config, '--work-dir', root / 'a', '--cfg-options', 'train_cfg.max_iters=2',
             cwd=root)
    resumed = run_tool('train.py', config, '--work-dir', root / 'b', '--resume',
                       root / 'a' / 'iter_2.pth', cwd=root)
    assert 'resumed epoch: 0, iter: 2' in resumed.stdout + resumed.stderr
    assert osp.isfile(root / 'b' / 'iter_4.pth')


def test_cls_train_resume_test(cls_setup):
    root, config = cls_setup
    work = root / 'work'
    run_tool('train.py', config, '--work-dir', work, '--cfg-options', 'train_cfg.max_epochs=1',
             cwd=root)
    assert osp.isfile(work / 'epoch_1.pth')
    resumed = run_tool('train.py', config, '--work-dir', work, '--resume', cwd=root)
    assert 'resumed epoch: 1' in resumed.stdout + resumed.stderr
    assert osp.isfile(work / 'epoch_2.pth')

    out = root / 'preds.pkl'
    tested = run_tool('test.py', config, work / 'epoch_2.pth', '--work-dir', root / 'test', '--out',
                      out, cwd=root)
    assert 'accuracy/top1' in tested.stdout + tested.stderr
    assert osp.isfile(out)


def test_missing_data_folder_is_named(seg_setup):
    root, config = seg_setup
    missing = root / 'no_such_data'
    proc = run_tool('train.py', config, '--work-dir', root / 'w', '--cfg-options',
                    f'train_dataloader.dataset.data_root={missing}', cwd=root, check=False)
    assert proc.returncode != 0
    assert 'Data folder not found' in proc.stderr and str(missing) in proc.stderr
    assert 'docs/segmentation.md' in proc.stderr  # where the layouts are described
    assert not (root / 'w').exists()


def test_unsupported_scope_is_reported(tmp_path):
    config = tmp_path / 'other.py'
    config.write_text("default_scope = 'mmdet'\n")
    proc = run_tool('train.py', config, cwd=tmp_path, check=False)
    assert proc.returncode != 0 and "default_scope is 'mmdet'" in proc.stderr
