"""A toy dataset and a buffer-recording hook for tiny real mmengine Runner runs with BDCLLoss."""
import torch
import torch.nn.functional as F
from mmengine.hooks import Hook

from bdcl_mm.engine.hooks import find_bdcl_losses

__all__ = ['BUFFERS', 'CLASSES', 'CaptureBuffers', 'ToyDataset', 'toy_train_dataloader']

CLASSES = ('background', 'benign nodule', 'malignant')
BUFFERS = ('log_tau', 'margin_running_sum', 'margin_running_count', 'prototypes', 'prototype_valid')


class ToyDataset(torch.utils.data.Dataset):
    metainfo = dict(classes=CLASSES)

    def __init__(self, n=48):
        g = torch.Generator().manual_seed(0)
        self.labels = torch.randint(0, 3, (n, ), generator=g)
        self.inputs = torch.randn(n, 8, generator=g) + 2.0 * F.one_hot(self.labels, 8)

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, index):
        return dict(inputs=self.inputs[index], labels=self.labels[index])


class CaptureBuffers(Hook):
    """Records the BDCL buffers before training and after every iteration (after BDCLHook)."""

    priority = 'LOW'

    def __init__(self):
        self.before = None
        self.after_iter = []

    def _state(self, runner):
        return [{
            k: getattr(loss, k).clone()
            for k in BUFFERS
        } for _, loss in find_bdcl_losses(runner.model)]

    def before_train(self, runner):
        self.before = self._state(runner)

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        self.after_iter.append(self._state(runner))


def toy_train_dataloader() -> dict:
    """The Runner ``train_dataloader`` of the toy runs: shuffled batches of 12, fixed seed."""
    return dict(
        dataset=ToyDataset(),
        batch_size=12,
        num_workers=0,
        sampler=dict(type='DefaultSampler', shuffle=True, seed=0),
        collate_fn=dict(type='default_collate'))
