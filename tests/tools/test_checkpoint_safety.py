"""Checkpoints load safely on torch >= 2.6: own checkpoints without opt-in, crafted pickles refused."""
import pytest
import torch
from mmengine.runner.checkpoint import CheckpointLoader

from bdcl_mm.engine import TrustedCheckpointError, register_safe_checkpoint_loader, safe_torch_load
from conftest import run_tool


class WritesFileWhenUnpickled:
    """A crafted object whose unpickling calls ``open(path, 'w')``."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, 'w'))


@pytest.fixture
def crafted_checkpoint(tmp_path):
    marker = tmp_path / 'pwned'
    path = tmp_path / 'crafted.pth'
    torch.save({'state_dict': {'w': torch.zeros(1)}, 'meta': WritesFileWhenUnpickled(str(marker))},
               path)
    return path, marker


def test_crafted_checkpoint_refused_by_default(crafted_checkpoint):
    path, marker = crafted_checkpoint
    with pytest.raises(TrustedCheckpointError, match='--trust-checkpoint'):
        safe_torch_load(str(path))
    assert not marker.exists()


def test_mmengine_loader_refuses_crafted_checkpoint(crafted_checkpoint):
    path, marker = crafted_checkpoint
    register_safe_checkpoint_loader(trust=False)
    with pytest.raises(TrustedCheckpointError):
        CheckpointLoader.load_checkpoint(str(path), map_location='cpu')
    assert not marker.exists()


def test_trust_opt_in_unpickles(crafted_checkpoint):
    path, marker = crafted_checkpoint
    safe_torch_load(str(path), trust=True)
    assert marker.exists()


def test_getattr_is_limited_to_history_buffer_statistics(tmp_path):

    class GetattrOnString:

        def __reduce__(self):
            return (getattr, ('text', 'upper'))

    path = tmp_path / 'getattr.pth'
    torch.save({'x': GetattrOnString()}, path)
    with pytest.raises(TrustedCheckpointError, match='getattr'):
        safe_torch_load(str(path))


def test_tools_refuse_crafted_checkpoint(seg_setup, crafted_checkpoint):
    root, config = seg_setup
    path, marker = crafted_checkpoint
    proc = run_tool('test.py', config, path, '--work-dir', root / 'w', cwd=root, check=False)
    assert proc.returncode != 0
    assert 'TrustedCheckpointError' in proc.stderr and '--trust-checkpoint' in proc.stderr
    assert not marker.exists()


def test_own_runner_checkpoint_loads_safely(seg_setup):
    root, config = seg_setup
    run_tool('train.py', config, '--work-dir', root / 'w', '--cfg-options', 'train_cfg.max_iters=2',
             'train_cfg.val_interval=100', cwd=root)
    checkpoint = safe_torch_load(str(root / 'w' / 'iter_2.pth'))
    assert {'state_dict', 'message_hub', 'optimizer', 'meta'} <= set(checkpoint)
