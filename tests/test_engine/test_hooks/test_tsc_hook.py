"""BDCLHook drives TSCLoss's state (centroids, assignment) in tiny real mmengine Runner runs:
updates, checkpoints and resume, also beside a BDCLLoss."""
import torch
import torch.nn.functional as F
from mmengine.hooks import Hook
from mmengine.model import BaseModel
from mmengine.registry import MODELS
from mmengine.runner import Runner
from torch import nn

import bdcl_mm.registration  # noqa: F401  (registers TSCLoss, BDCLLoss, BDCLHook)
from bdcl_mm.engine import safe_torch_load
from bdcl_mm.engine.hooks import find_statistics_losses
from bdcl_mm.models.losses import BDCLLoss, TSCLoss, hungarian_assignment
from tests._shared.runner_toys import toy_train_dataloader

TSC_BUFFERS = ('targets', 'centroids', 'centroid_valid', 'assignment')
TSC = dict(type='TSCLoss', num_classes=3, feat_dim=4)


@MODELS.register_module(force=True)
class TSCHookToyModel(BaseModel):
    """Linear encoder; every contrastive loss gets the encoder's features."""

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


class CaptureTSC(Hook):
    """The TSC buffers before training and after every iteration (after BDCLHook)."""

    priority = 'LOW'

    def __init__(self):
        self.before, self.after_iter = None, []

    def _state(self, runner):
        return {k: getattr(loss, k).clone() for _, loss in find_statistics_losses(runner.model)
                if isinstance(loss, TSCLoss) for k in TSC_BUFFERS}

    def before_train(self, runner):
        self.before = self._state(runner)

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        self.after_iter.append(self._state(runner))


def _runner(work_dir, name, losses, capture=None, **kwargs):
    return Runner(
        model=dict(type='TSCHookToyModel', losses=losses),
        work_dir=str(work_dir),
        experiment_name=name,
        train_dataloader=toy_train_dataloader(),
        train_cfg=dict(by_epoch=False, max_iters=6),
        log_processor=dict(by_epoch=False),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
        custom_hooks=[dict(type='BDCLHook')] + ([capture] if capture else []),
        default_hooks=dict(
            checkpoint=dict(type='CheckpointHook', interval=3, by_epoch=False),
            logger=dict(type='LoggerHook', interval=1)),
        randomness=dict(seed=0),
        log_level='WARNING',
        **kwargs)


def test_hook_updates_tsc_state_which_checkpoints_carry_and_resume_restores(tmp_path):
    capture = CaptureTSC()
    runner = _runner(tmp_path / 'run', 'tsc_run', [TSC], capture=capture)
    runner.train()
    (_, loss), = find_statistics_losses(runner.model)
    assert loss.statistics_consumer_attached and loss.centroid_valid.all()
    torch.testing.assert_close(loss.centroids.norm(dim=1), torch.ones(3))
    assert torch.equal(loss.assignment, hungarian_assignment(loss.centroids, loss.targets))
    # every iteration moved the centroids (the hook applied each one's statistics)
    states = [capture.before] + capture.after_iter
    for previous, current in zip(states, states[1:]):
        assert not torch.equal(previous['centroids'], current['centroids'])

    mid = safe_torch_load(str(tmp_path / 'run' / 'iter_3.pth'), map_location='cpu')
    for key in TSC_BUFFERS:
        assert torch.equal(mid['state_dict'][f'contrast.0.{key}'], capture.after_iter[2][key])

    resumed_capture = CaptureTSC()
    resumed = _runner(tmp_path / 'resumed', 'tsc_resumed', [TSC], capture=resumed_capture,
                      load_from=str(tmp_path / 'run' / 'iter_3.pth'), resume=True)
    # a resumed model must not keep a fresh state: make the restored one visibly different
    (_, fresh), = find_statistics_losses(resumed.model)
    assert not fresh.centroid_valid.any()
    resumed.train()
    for key in TSC_BUFFERS:
        assert torch.equal(resumed_capture.before[key], mid['state_dict'][f'contrast.0.{key}'])
        torch.testing.assert_close(resumed_capture.after_iter[-1][key],
                                   capture.after_iter[-1][key])


def test_one_hook_drives_a_bdcl_and_a_tsc_loss_together(tmp_path):
    bdcl = dict(type='BDCLLoss', num_classes=3, feat_dim=4, tdl='descent', tdl_lr=1e-4)
    runner = _runner(tmp_path, 'tsc_and_bdcl', [bdcl, TSC])
    runner.train()
    losses = dict(find_statistics_losses(runner.model))
    assert isinstance(losses['contrast.0'], BDCLLoss) and isinstance(losses['contrast.1'], TSCLoss)
    assert losses['contrast.0'].prototype_valid.all()
    assert not torch.allclose(losses['contrast.0'].temperatures, torch.full((3, ), 0.1))
    assert losses['contrast.1'].centroid_valid.all()
    # the temperature outputs keep the single-BDCL-loss names
    assert (tmp_path / 'bdcl_temperatures.json').is_file()
    assert 'train/bdcl_tau_malignant' in runner.message_hub.log_scalars
