"""BDCLHook in tiny real mmengine Runner runs (CPU, tmp_path work dirs)."""
import json
import math

import pytest
import torch
import torch.nn.functional as F
from mmengine.model import BaseModel
from mmengine.registry import HOOKS, MODELS
from mmengine.runner import Runner
from torch import nn

import bdcl_mm.registration  # noqa: F401  (registers BDCLLoss, BDCLHook, the checkpoint loader)
from bdcl_mm.engine import safe_torch_load
from bdcl_mm.engine.hooks import BDCLHook, find_bdcl_losses
from tests._shared.runner_toys import BUFFERS, CaptureBuffers, toy_train_dataloader

@MODELS.register_module(force=True)
class BDCLHookToyModel(BaseModel):
    """Linear encoder + a classifier on detached features; every BDCLLoss gets its predictions."""

    def __init__(self, losses):
        super().__init__()
        self.encoder = nn.Linear(8, 4)
        self.classifier = nn.Linear(4, 3)
        self.contrast = nn.ModuleList(MODELS.build(cfg) for cfg in losses)

    def forward(self, inputs, labels, mode='tensor'):
        features = self.encoder(inputs)
        logits = self.classifier(features.detach())
        if mode != 'loss':
            return logits
        losses = dict(loss_ce=F.cross_entropy(logits, labels))
        for index, loss in enumerate(self.contrast):
            losses[f'{loss.loss_name}{index}'] = loss(features, labels, logits.argmax(dim=1))
        return losses


def _runner(work_dir, name, losses, hook=None, max_iters=6, capture=None, **kwargs):
    return Runner(
        model=dict(type='BDCLHookToyModel', losses=losses),
        work_dir=str(work_dir),
        experiment_name=name,
        train_dataloader=toy_train_dataloader(),
        train_cfg=dict(by_epoch=False, max_iters=max_iters),
        log_processor=dict(by_epoch=False),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
        custom_hooks=[hook or dict(type='BDCLHook')] + ([capture] if capture else []),
        default_hooks=dict(
            checkpoint=dict(type='CheckpointHook', interval=3, by_epoch=False),
            logger=dict(type='LoggerHook', interval=1)),
        randomness=dict(seed=0),
        log_level='WARNING',
        **kwargs)


LOSS = dict(type='BDCLLoss', num_classes=3, feat_dim=4, tdl='descent', tdl_lr=1e-4)


def test_runner_updates_logs_plots_checkpoints_and_resumes(tmp_path):
    runner = _runner(tmp_path / 'run', 'bdcl_hook_run', [LOSS])
    runner.train()
    loss = find_bdcl_losses(runner.model)[0][1]
    assert not torch.allclose(loss.temperatures, torch.full((3, ), 0.1))
    assert loss.prototype_valid.all()
    torch.testing.assert_close(loss.prototypes.norm(dim=1), torch.ones(3))
    assert loss.statistics_consumer_attached

    scalars = runner.message_hub.log_scalars
    for class_name, tau in zip(('background', 'benign_nodule', 'malignant'),
                               loss.temperatures.tolist()):
        assert scalars[f'train/bdcl_tau_{class_name}'].current() == pytest.approx(tau)
    assert not any('loss' in key for key in scalars if 'tau' in key)

    work_dir = tmp_path / 'run'
    assert (work_dir / 'bdcl_temperatures.png').stat().st_size > 1000
    history = json.loads((work_dir / 'bdcl_temperatures.json').read_text())
    assert history['iterations'] == list(range(7))
    assert history['temperatures']['malignant'][0] == pytest.approx(0.1)
    assert history['temperatures']['malignant'][-1] == pytest.approx(loss.temperatures[2].item())

    checkpoint = safe_torch_load(str(work_dir / 'iter_6.pth'), map_location='cpu')
    for key in BUFFERS:
        assert torch.equal(checkpoint['state_dict'][f'contrast.0.{key}'], getattr(loss, key))
    mid = safe_torch_load(str(work_dir / 'iter_3.pth'), map_location='cpu')
    assert mid['bdcl_hook']['history']['contrast.0'][-1][0] == 3

    capture = CaptureBuffers()
    resumed = _runner(
        tmp_path / 'resumed',
        'bdcl_hook_resumed', [LOSS],
        capture=capture,
        load_from=str(work_dir / 'iter_3.pth'),
        resume=True)
    resumed.train()
    for key in BUFFERS:
        assert torch.equal(capture.before[0][key], mid['state_dict'][f'contrast.0.{key}'])
    resumed_loss = find_bdcl_losses(resumed.model)[0][1]
    for key in BUFFERS:
        torch.testing.assert_close(getattr(resumed_loss, key), getattr(loss, key))
    resumed_history = json.loads((tmp_path / 'resumed' / 'bdcl_temperatures.json').read_text())
    assert resumed_history['iterations'] == list(range(7))


def test_warm_up_interval_and_several_losses(tmp_path):
    capture = CaptureBuffers()
    losses = [LOSS, dict(LOSS, tdl='paper', use_prototypes=False, loss_name='loss_pix')]
    runner = _runner(
        tmp_path,
        'bdcl_hook_interval',
        losses,
        hook=dict(type='BDCLHook', start_iter=2, interval=2, log_interval=2),
        capture=capture)
    runner.train()
    # Iterations 1-3 change nothing (1-2 warm-up, 3 accumulates); 4 and 6 apply.
    for states in capture.after_iter[:3]:
        for index in range(2):
            for key in BUFFERS:
                assert torch.equal(states[index][key], capture.before[index][key])
    for index in range(2):
        taus = [states[index]['log_tau'] for states in capture.after_iter]
        assert not torch.equal(taus[3], taus[2])  # iteration 4 applies
        assert torch.equal(taus[4], taus[3])  # iteration 5 accumulates
        assert not torch.equal(taus[5], taus[4])  # iteration 6 applies
    # The paper rule only lowers temperatures.
    assert (capture.after_iter[-1][1]['log_tau'] < capture.before[1]['log_tau']).all()
    assert not capture.after_iter[-1][1]['prototype_valid'].any()
    scalars = runner.message_hub.log_scalars
    assert {'train/bdcl0_tau_malignant', 'train/bdcl1_tau_malignant'} <= set(scalars)
    history = json.loads((tmp_path / 'bdcl1_temperatures.json').read_text())
    assert history['iterations'] == [0, 4, 6]
    assert (tmp_path / 'bdcl0_temperatures.png').exists()


@pytest.mark.parametrize(
    'kwargs', [dict(start_iter=-1),
               dict(interval=0),
               dict(log_interval=0),
               dict(interval=1.5)])
def test_hook_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        HOOKS.build(dict(type='BDCLHook', **kwargs))
    assert isinstance(HOOKS.build(dict(type='BDCLHook')), BDCLHook)


@pytest.mark.parametrize('tdl', ['balance', 'descent'])
def test_resume_between_interval_updates_is_exact(tmp_path, tdl):
    """Checkpoint at iteration 3 while iterations 1-3 wait for the update at iteration 4."""
    loss_cfg = dict(LOSS, tdl=tdl, tdl_lr=0.05 if tdl == 'balance' else 1e-4)
    hook = dict(type='BDCLHook', interval=4)
    whole = _runner(tmp_path / 'whole', 'bdcl_interval_whole', [loss_cfg], hook=hook)
    whole.train()
    expected = find_bdcl_losses(whole.model)[0][1]
    mid = safe_torch_load(str(tmp_path / 'whole' / 'iter_3.pth'), map_location='cpu')
    pending = mid['bdcl_hook']['pending']['contrast.0']
    assert pending['anchor_count'].sum() == 36  # three iterations of 12 items
    resumed = _runner(
        tmp_path / 'resumed',
        'bdcl_interval_resumed', [loss_cfg],
        hook=hook,
        load_from=str(tmp_path / 'whole' / 'iter_3.pth'),
        resume=True)
    resumed.train()
    got = find_bdcl_losses(resumed.model)[0][1]
    assert not torch.equal(expected.log_tau, torch.full((3, ), math.log(0.1)))
    for key in BUFFERS:
        torch.testing.assert_close(getattr(got, key), getattr(expected, key), rtol=0, atol=1e-7)
