"""tools/test.py --show-dir paints every test image (the hosts' hooks default to every 50th batch
/ 5000th sample)."""
from tests._shared.tool_runner import run_tool


def test_seg_show_dir_paints_every_image(seg_setup):
    root, config = seg_setup
    run_tool('train.py', config, '--work-dir', root / 'w', '--cfg-options', 'train_cfg.max_iters=2',
             'train_cfg.val_interval=100', cwd=root)
    show = root / 'vis'
    run_tool('test.py', config, root / 'w' / 'iter_2.pth', '--work-dir', root / 't', '--show-dir',
             show, cwd=root)
    painted = sorted(p.name for p in show.rglob('*.png'))
    assert len(painted) == 4, painted  # the 4 test images, one batch each
    assert all(any(p.startswith(f'test_{i}.png') for p in painted) for i in range(4)), painted


def test_cls_show_dir_paints_every_image(cls_setup):
    root, config = cls_setup
    run_tool('train.py', config, '--work-dir', root / 'w', '--cfg-options',
             'train_cfg.max_epochs=1', cwd=root)
    show = root / 'vis'
    run_tool('test.py', config, root / 'w' / 'epoch_1.pth', '--work-dir', root / 't',
             '--show-dir', show, cwd=root)
    # 8 + 4 + 2 test images; the host hook names each file by the image's basename, and the
    # class folders reuse basenames 0.png..7.png, so 8 distinct files (only 1 at interval 5000)
    painted = sorted(p.name for p in show.rglob('*.png'))
    assert len(painted) == 8, painted
    assert {name.split('_')[0] for name in painted} == {f'{i}.png' for i in range(8)}, painted
