"""Checkpoints load safely on torch >= 2.6: own checkpoints without opt-in, crafted pickles refused."""
import pytest
import torch
from mmengine.runner.checkpoint import CheckpointLoader

from bdcl_mm.engine import TrustedCheckpointError, register_safe_checkpoint_loader, safe_torch_load
from bdcl_mm.engine.checkpoint import refused_globals_reason
from tests._shared.tool_runner import run_tool


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


class RunsShellWhenUnpickled:
    """A crafted object whose unpickling calls ``os.system``."""

    def __reduce__(self):
        import os
        return (os.system, ('true', ))


def test_refusal_names_the_offending_global(crafted_checkpoint, tmp_path):
    path, marker = crafted_checkpoint
    with pytest.raises(TrustedCheckpointError) as refused:
        safe_torch_load(str(path))
    message = str(refused.value)
    assert '(needs io.open)' in message  # builtins.open pickles as io.open
    assert 'In PyTorch 2.6' not in message and not marker.exists()

    shell = tmp_path / 'shell.pth'
    torch.save({'state_dict': {}, 'meta': RunsShellWhenUnpickled()}, shell)
    with pytest.raises(TrustedCheckpointError, match=r'\(needs (posix|os)\.system\)'):
        safe_torch_load(str(shell))


def test_refusal_reason_found_anywhere_in_torch_message(tmp_path):
    message = ('Weights only load failed. Two options.\n\t(1) Re-run with weights_only=False.\n\t'
               '(2) See below.\n\tWeightsUnpickler error: Unsupported global: GLOBAL io.open was '
               'not an allowed global by default.\n\nCheck the documentation of torch.load')
    not_a_checkpoint = str(tmp_path / 'absent.pth')
    assert refused_globals_reason(not_a_checkpoint, message) == 'needs io.open'
    assert refused_globals_reason(not_a_checkpoint,
                                  'Weights only load failed.\n\nWeightsUnpickler error: '
                                  'Unsupported operand 149') == 'Unsupported operand 149'
