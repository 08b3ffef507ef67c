"""Contrast scope of the pixel contrast: which sampled pixels an anchor is contrasted with.

BDCL (ICASSP 2024) states its positives and negatives as the pixels *of each image*. The scopes:

* ``'image'``: one contrast set per image (the paper's); prototypes are shared by the batch;
* ``'batch'``: every sampled pixel of the rank's batch (cross-image contrast);
* ``'global'``: the sampled pixels of every rank, all-gathered with their gradient, so the contrast
  set does not depend on how the global batch is split over GPUs. Each rank samples with
  ``ceil(max_samples / world_size)``, so the gathered set keeps the size of one process's.

For ``'global'`` every rank evaluates the loss on the same gathered set, so every rank's loss is
the loss of one process on the union. The gradient of the gather sums what every rank sends back
to a rank's own embeddings, ``world_size`` times the union gradient, and DDP's average over ranks
brings it back to the union gradient. The update statistics of the gathered set are taken on
rank 0 only, so ``BDCLHook``'s sum over ranks counts each pixel once.
"""
import math
from contextlib import contextmanager
from typing import Iterator, Optional, Tuple

import torch
import torch.distributed as torch_dist
from torch import Tensor, nn
from torch.distributed.nn.functional import all_gather as all_gather_with_grad

SCOPES = ('image', 'batch', 'global')


def world() -> Tuple[int, int]:
    """``(rank, world_size)`` of the default process group, ``(0, 1)`` when not distributed."""
    if torch_dist.is_available() and torch_dist.is_initialized():
        return torch_dist.get_rank(), torch_dist.get_world_size()
    return 0, 1


def rank_budget(max_samples: Optional[int], scope: str) -> Optional[int]:
    """This rank's sampling budget: ``ceil(max_samples / world_size)`` for ``'global'``."""
    if max_samples is None or scope != 'global':
        return max_samples
    return math.ceil(max_samples / world()[1])


def gather_samples(embedded: Tensor, labels: Tensor,
                   preds: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
    """All-gather the sampled pixels of every rank, embeddings with their gradient.

    Ranks may hold different numbers of pixels: each pads to the largest count, and the padding is
    removed after the gather. Every rank must call this at the same iteration.

    Args:
        embedded (Tensor): ``(n_r, D)`` this rank's embeddings.
        labels (Tensor): ``(n_r,)`` int64 labels.
        preds (Tensor): ``(n_r,)`` int64 predictions.

    Returns:
        tuple[Tensor, Tensor, Tensor]: ``(sum_r n_r, D)`` embeddings, labels and predictions in
        rank order; the same on every rank.
    """
    _, size = world()
    if size == 1:
        return embedded, labels, preds
    count = torch.tensor([embedded.shape[0]], device=embedded.device)
    counts = [torch.zeros_like(count) for _ in range(size)]
    torch_dist.all_gather(counts, count)
    counts = [int(c) for c in counts]
    longest = max(counts)
    if longest == 0:
        return embedded, labels, preds
    pad = longest - embedded.shape[0]
    embedded = torch.cat([embedded, embedded.new_zeros(pad, embedded.shape[1])])
    ints = torch.stack([labels, preds]).long()
    ints = torch.cat([ints, ints.new_zeros(2, pad)], dim=1)
    gathered_ints = [torch.empty_like(ints) for _ in range(size)]
    torch_dist.all_gather(gathered_ints, ints)
    gathered = all_gather_with_grad(embedded)
    features = torch.cat([part[:n] for part, n in zip(gathered, counts)])
    ints = torch.cat([part[:, :n] for part, n in zip(gathered_ints, counts)], dim=1)
    return features, ints[0], ints[1]


@contextmanager
def statistics_from_this_rank(loss: nn.Module, scope: str) -> Iterator[None]:
    """Evaluate ``loss`` without update statistics unless this rank should contribute them.

    With ``'global'`` every rank sees the same gathered set, so only rank 0 collects the
    statistics (a loss module collects them in training mode only); other scopes are unchanged.
    """
    rank, size = world()
    if scope != 'global' or size == 1 or rank == 0 or not loss.training:
        yield
        return
    loss.train(False)
    try:
        yield
    finally:
        loss.train(True)
