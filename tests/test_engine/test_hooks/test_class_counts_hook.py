"""ClassCountsHook / DRWHook in tiny real Runners: counts set, DRW exactly at the deferral point."""
import pytest
import torch
import torch.nn.functional as F
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch import nn

import bdcl_mm.registration  # noqa: F401  (root registrations)
from bdcl_mm.models.losses import LDAMLoss, effective_number_weights
from tests._shared.runner_toys import ToyDataset


class CountedToyDataset(ToyDataset):

    def get_gt_labels(self):
        return self.labels.numpy()


class CosineHead(nn.Module):
    cosine_logits = True

    def __init__(self, loss):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(3, 8))
        self.loss_module = loss
        self.used = []

    def forward(self, x, labels):
        cos = F.normalize(x) @ F.normalize(self.weight).t()
        self.used.append(self.loss_module.class_weight.clone())
        return self.loss_module(cos, labels)


class ToyModel(BaseModel):

    def __init__(self, loss=None, cosine=True):
        super().__init__()
        self.head = CosineHead(loss or LDAMLoss(num_classes=3))
        if not cosine:
            self.head.cosine_logits = False

    def forward(self, inputs, labels, mode='loss'):
        return dict(loss=self.head(inputs, labels))


def _runner(tmp_path, hook, model=None, by_epoch=True, **train):
    train_cfg = dict(by_epoch=True, max_epochs=5) if by_epoch else dict(by_epoch=False,
                                                                        max_iters=10)
    train_cfg.update(train)
    return Runner(
        model=model or ToyModel(),
        work_dir=str(tmp_path),
        train_dataloader=dict(dataset=CountedToyDataset(), batch_size=12, num_workers=0,
                              sampler=dict(type='DefaultSampler', shuffle=True, seed=0),
                              collate_fn=dict(type='default_collate')),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
        train_cfg=train_cfg,
        custom_hooks=[hook],
        default_hooks=dict(logger=dict(type='LoggerHook', interval=1), checkpoint=None),
        log_level='WARNING')


def _expected_drw():
    counts = torch.bincount(CountedToyDataset().labels, minlength=3)
    return counts, effective_number_weights(counts.tolist(), 0.9999)


def test_drw_switches_at_the_deferral_epoch(tmp_path):
    runner = _runner(tmp_path, dict(type='DRWHook', start=3))
    runner.train()
    head = runner.model.head
    counts, drw = _expected_drw()
    assert head.loss_module.class_counts.tolist() == counts.float().tolist()
    # 48 items, batch 12: 4 iterations per epoch; epochs 0-2 uniform, 3-4 re-weighted
    assert len(head.used) == 20
    for i, weight in enumerate(head.used):
        torch.testing.assert_close(weight, drw if i >= 12 else torch.ones(3))
    assert not torch.allclose(drw, torch.ones(3))


def test_drw_switches_at_the_deferral_iteration_from_the_ratio(tmp_path):
    runner = _runner(tmp_path, dict(type='DRWHook', start_ratio=0.6), by_epoch=False)
    runner.train()
    head = runner.model.head
    _, drw = _expected_drw()
    assert len(head.used) == 10
    for i, weight in enumerate(head.used):
        torch.testing.assert_close(weight, drw if i >= 6 else torch.ones(3))


def test_class_counts_hook_sets_counts_and_keeps_uniform_weights(tmp_path):
    runner = _runner(tmp_path, dict(type='ClassCountsHook'), max_epochs=1)
    runner.train()
    loss = runner.model.head.loss_module
    counts, _ = _expected_drw()
    assert loss.class_counts.tolist() == counts.float().tolist()
    assert all(torch.equal(w, torch.ones(3)) for w in runner.model.head.used)
    # the margins follow the counts; the checkpointed buffers hold them
    assert loss.state_dict()['class_terms'].tolist() == pytest.approx(
        (0.5 * counts.float().pow(-0.25) / counts.float().pow(-0.25).max()).tolist())


def test_config_counts_win_over_the_dataset(tmp_path):
    model = ToyModel(LDAMLoss(class_counts=[5, 50, 500]))
    runner = _runner(tmp_path, dict(type='ClassCountsHook'), model=model, max_epochs=1)
    runner.train()
    assert model.head.loss_module.class_counts.tolist() == [5, 50, 500]


def test_misuse_errors(tmp_path):
    with pytest.raises(ValueError, match='needs cosine logits'):
        _runner(tmp_path / 'a', dict(type='DRWHook'), model=ToyModel(cosine=False)).train()

    class NoLoss(BaseModel):

        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(8, 3)

        def forward(self, inputs, labels, mode='loss'):
            return dict(loss=F.cross_entropy(self.fc(inputs), labels))

    with pytest.raises(ValueError, match='found no LDAMLoss or GCLLoss'):
        _runner(tmp_path / 'b', dict(type='ClassCountsHook'), model=NoLoss()).train()
    with pytest.raises(ValueError, match='presence'):
        _runner(tmp_path / 'c', dict(type='DRWHook', weight_counts='presence')).train()
