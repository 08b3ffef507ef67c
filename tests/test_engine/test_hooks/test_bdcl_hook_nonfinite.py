"""One non-finite batch never reaches BDCL's state (temperatures, prototypes): functional
updates, BDCLLoss + the hook's update, and a tiny real Runner run."""
import math

import pytest
import torch
import torch.nn.functional as F
from mmengine.logging import MessageHub
from mmengine.model import BaseModel
from mmengine.registry import MODELS
from mmengine.runner import Runner

import bdcl_mm.registration  # noqa: F401  (registers BDCLLoss, BDCLHook, the checkpoint loader)
from bdcl_mm.engine.hooks import find_bdcl_losses, loss_scale, step_was_skipped, update_bdcl_loss
from bdcl_mm.models.losses import BDCLLoss, BDCLStatistics, bdcl_loss_terms, bdcl_statistics
from bdcl_mm.models.losses.functional import hep_update, tdl_update
from tests._shared.runner_toys import BUFFERS, CaptureBuffers, toy_train_dataloader

RULES = ('balance', 'paper', 'descent', 'ascent')


def _batch(seed=0, n=24, d=6, c=3):
    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % c
    features = F.one_hot(labels, d).float() + 0.3 * torch.randn(n, d, generator=g)
    preds = torch.where(torch.rand(n, generator=g) < 0.3, (labels + 1) % c, labels)
    return features, labels, preds


def _poisoned(features, value=float('inf')):
    bad = features.clone()
    bad[3, 1] = value
    return bad


@pytest.mark.parametrize('rule', RULES)
@pytest.mark.parametrize('value', [float('inf'), float('nan')])
def test_functional_updates_ignore_non_finite_statistics(rule, value):
    features, labels, preds = _batch()
    taus = torch.tensor([0.08, 0.1, 0.12])
    protos = F.normalize(torch.randn(3, 6), dim=1)
    valid = torch.tensor([True, True, False])
    terms = bdcl_loss_terms(_poisoned(features, value), labels, taus, protos, valid,
                            expected_similarity=True)
    stats = bdcl_statistics(terms, labels, preds, 3, rule, use_prototypes=True)
    assert not stats.is_finite()  # the poisoned item spreads through every sum
    new_taus = tdl_update(taus, stats, rule, 1e-2, 0.03, 1.0)
    assert torch.equal(new_taus, taus)
    new_protos, new_valid = hep_update(protos, valid, stats.hard_sum, stats.hard_count,
                                       stats.feat_sum, stats.feat_count, 0.1)
    assert torch.equal(new_protos, protos) and torch.equal(new_valid, valid)


@pytest.mark.parametrize('rule', RULES)
def test_loss_drops_non_finite_items_and_refuses_their_statistics(rule):
    loss = BDCLLoss(3, 6, tdl=rule, tdl_lr=1e-2 if rule == 'balance' else 1e-4).train()
    loss.statistics_consumer_attached = True
    features, labels, preds = _batch()
    loss(features, labels, preds)
    assert update_bdcl_loss(loss) == 'applied'  # prototypes initialised, temperatures moved
    before = {k: v.clone() for k, v in loss.state_dict().items()}

    bad = _poisoned(features).requires_grad_(True)
    value = loss(bad, labels, preds)
    assert math.isfinite(value.item())  # the item is left out of the loss...
    value.backward()
    assert torch.isfinite(bad.grad).all() and not bad.grad[3].any()
    keep = torch.arange(24) != 3
    expected = BDCLLoss(3, 6, tdl=rule).eval()
    expected.load_state_dict(before)
    torch.testing.assert_close(value, expected(features[keep], labels[keep], preds[keep]))
    stats = loss._statistics
    assert stats.nonfinite.item() == 1 and not stats.is_finite()
    assert update_bdcl_loss(loss) == 'nonfinite'  # ... and the update is refused whole
    for key, value in loss.state_dict().items():
        assert torch.equal(value, before[key]), key

    loss(features, labels, preds)  # the next clean batch updates as usual
    assert update_bdcl_loss(loss) == 'applied'
    assert torch.isfinite(loss.log_tau).all() and torch.isfinite(loss.prototypes).all()
    assert not torch.equal(loss.log_tau, before['log_tau'])


def test_skipped_optimizer_step_discards_the_statistics():
    loss = BDCLLoss(3, 6, tdl='balance').train()
    features, labels, preds = _batch()
    loss(features, labels, preds)
    before = {k: v.clone() for k, v in loss.state_dict().items()}
    assert update_bdcl_loss(loss, skip=True) == 'skipped'
    for key, value in loss.state_dict().items():
        assert torch.equal(value, before[key]), key
    assert loss.pop_statistics() is None


def test_a_grad_scaler_that_skips_a_step_is_detected():
    param = torch.nn.Parameter(torch.ones(2))
    optimizer = torch.optim.SGD([param], lr=0.1)
    scaler = torch.amp.GradScaler('cpu', init_scale=1024.0)
    wrapper = type('AmpWrapper', (), {'loss_scaler': scaler})()

    def step(value):
        before = loss_scale(wrapper)
        optimizer.zero_grad()
        scaler.scale((param * value).sum()).backward()
        scaler.step(optimizer)
        scaler.update()
        return step_was_skipped(before, loss_scale(wrapper), {'loss': torch.tensor(1.0)})

    assert not step(1.0)
    assert step(float('inf'))  # inf gradients: the scaler skipped and backed off
    assert not step(1.0)
    assert loss_scale(object()) is None
    assert step_was_skipped(None, None, {'loss': torch.tensor(float('nan'))})
    assert step_was_skipped(None, None, {'loss_bdcl': float('inf')})
    assert not step_was_skipped(None, None, {'loss': torch.tensor(0.5)})


@MODELS.register_module(force=True)
class NonFiniteInjectionModel(BaseModel):
    """Encoder + detached classifier; at iteration ``bad_iter`` one embedding fed to the BDCL
    loss becomes inf (as an fp16 overflow in the projection would make it)."""

    def __init__(self, loss, bad_iter):
        super().__init__()
        self.encoder = torch.nn.Linear(8, 4)
        self.classifier = torch.nn.Linear(4, 3)
        self.contrast = MODELS.build(loss)
        self.bad_iter = bad_iter

    def forward(self, inputs, labels, mode='tensor'):
        features = self.encoder(inputs)
        logits = self.classifier(features.detach())
        if mode != 'loss':
            return logits
        embedded = features
        if MessageHub.get_current_instance().get_info('iter') == self.bad_iter:
            embedded = features.clone()
            embedded[0, 0] = float('inf')
        return dict(
            loss_ce=F.cross_entropy(logits, labels),
            loss_bdcl=self.contrast(embedded, labels, logits.argmax(dim=1)))


def _injection_runner(tmp_path, model_type, capture, max_iters, optim_wrapper):
    """A tiny Runner whose model makes one iteration (index 2) non-finite."""
    return Runner(
        model=dict(
            type=model_type,
            loss=dict(type='BDCLLoss', num_classes=3, feat_dim=4, tdl='balance', tdl_lr=0.05),
            bad_iter=2),
        work_dir=str(tmp_path),
        train_dataloader=toy_train_dataloader(),
        train_cfg=dict(by_epoch=False, max_iters=max_iters),
        log_processor=dict(by_epoch=False),
        optim_wrapper=optim_wrapper,
        custom_hooks=[dict(type='BDCLHook'), capture],
        default_hooks=dict(logger=dict(type='LoggerHook', interval=1)),
        randomness=dict(seed=0),
        log_level='WARNING')


def test_runner_survives_one_non_finite_batch(tmp_path):
    capture = CaptureBuffers()
    runner = _injection_runner(tmp_path, 'NonFiniteInjectionModel', capture, 6,
                               dict(optimizer=dict(type='SGD', lr=0.1)))
    runner.train()
    states = [capture.before] + capture.after_iter
    # iteration index 2 (the third) saw the inf: the state after it equals the state before it
    for key in BUFFERS:
        assert torch.equal(states[3][0][key], states[2][0][key]), key
        assert not torch.equal(states[2][0][key], states[1][0][key]) or key == 'prototype_valid'
        assert not torch.equal(states[6][0]['log_tau'], states[3][0]['log_tau'])
        assert all(torch.isfinite(s[0][key].float()).all() for s in states)
    scalars = runner.message_hub.log_scalars
    assert scalars['train/bdcl_nonfinite_updates'].current() == 1
    losses = scalars['train/loss'].data[0]
    assert len(losses) == 6 and all(math.isfinite(v) for v in losses)
    loss = find_bdcl_losses(runner.model)[0][1]
    assert isinstance(loss.pop_statistics(), (type(None), BDCLStatistics))


@MODELS.register_module(force=True)
class OverflowOnceModel(NonFiniteInjectionModel):
    """As NonFiniteInjectionModel, but at ``bad_iter`` the classifier loss overflows instead, so
    the AMP loss scaler skips that optimizer step while the BDCL statistics are finite."""

    def forward(self, inputs, labels, mode='tensor'):
        losses = super().forward(inputs, labels, mode)
        if mode == 'loss' and MessageHub.get_current_instance().get_info('iter') == self.bad_iter:
            losses['loss_ce'] = losses['loss_ce'] * float('inf')
        return losses


@pytest.mark.skipif(not torch.cuda.is_available(), reason='AmpOptimWrapper needs CUDA')
def test_amp_skipped_step_skips_the_state_update(tmp_path):
    capture = CaptureBuffers()
    runner = _injection_runner(
        tmp_path, 'OverflowOnceModel', capture, 5,
        dict(type='AmpOptimWrapper', loss_scale='dynamic', optimizer=dict(type='SGD', lr=0.1)))
    runner.train()
    states = [capture.before] + capture.after_iter
    for key in BUFFERS:
        assert torch.equal(states[3][0][key].cpu(), states[2][0][key].cpu()), key
    assert not torch.equal(states[5][0]['log_tau'], states[3][0]['log_tau'])
    assert runner.message_hub.log_scalars['train/bdcl_skipped_updates'].current() == 1
