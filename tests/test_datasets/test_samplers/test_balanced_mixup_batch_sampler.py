"""BalancedMixUpBatchSampler: paired halves, class frequencies, determinism, ranks, Runner build."""
import numpy as np
import pytest
from mmengine.dataset import DefaultSampler, InfiniteSampler
from mmengine.registry import DATA_SAMPLERS
from mmengine.runner import Runner
from scipy.stats import chisquare

import bdcl_mm.registration  # noqa: F401  (registers the samplers)
from bdcl_mm.datasets.samplers import (BalancedMixUpBatchSampler, build_class_indices,
                                       class_balanced_indices)
from tests._shared.distributed import run_gloo

COUNTS = (1000, 316, 100, 32, 10)  # 1458 items: two ranks split them without padding


class LabelledList:
    """A minimal dataset: item ``i`` is its label."""

    def __init__(self, counts=COUNTS):
        self.labels = np.repeat(np.arange(len(counts)), counts)
        self.metainfo = {'classes': [f'c{i}' for i in range(len(counts))]}

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, idx):
        return int(self.labels[idx])

    def get_cat_ids(self, idx):
        return [int(self.labels[idx])]


def halves(batches):
    inst, bal = [], []
    for batch in batches:
        assert len(batch) % 2 == 0
        inst += batch[:len(batch) // 2]
        bal += batch[len(batch) // 2:]
    return np.array(inst), np.array(bal)


def epoch_batches(dataset, epoch=0, seed=0, batch_size=16, **kwargs):
    sampler = DefaultSampler(dataset, shuffle=True, seed=seed)
    batch_sampler = BalancedMixUpBatchSampler(sampler, batch_size, **kwargs)
    batch_sampler.set_epoch(epoch)
    return list(batch_sampler)


def test_halves_have_balanced_and_instance_class_frequencies():
    dataset = LabelledList()
    inst, bal = [], []
    for epoch in range(3):
        i, b = halves(epoch_batches(dataset, epoch))
        np.testing.assert_array_equal(np.sort(i), np.arange(len(dataset)))  # one epoch of items
        inst.append(i)
        bal.append(b)
    inst_counts = np.bincount(dataset.labels[np.concatenate(inst)], minlength=5)
    bal_counts = np.bincount(dataset.labels[np.concatenate(bal)], minlength=5)
    total = bal_counts.sum()
    assert total == 3 * len(dataset)
    # balanced half: uniform over classes (a 100:1 tail drawn as often as the head)
    assert chisquare(bal_counts).pvalue > 1e-3
    assert bal_counts.min() > 0.9 * total / 5
    # instance half: the dataset's own frequencies
    expected = np.array(COUNTS) / len(dataset) * inst_counts.sum()
    assert chisquare(inst_counts, expected).pvalue > 1e-3
    # and the balanced half is not the instance distribution
    assert chisquare(bal_counts, np.array(COUNTS) / len(dataset) * total).pvalue < 1e-6


def test_batches_pair_b_with_b_and_the_last_short_batch_keeps_both_halves():
    dataset = LabelledList((30, 7))
    batches = epoch_batches(dataset, batch_size=8)
    assert [len(b) for b in batches] == [16] * 4 + [10]
    assert len(BalancedMixUpBatchSampler(DefaultSampler(dataset, seed=0), 8)) == 5
    dropped = epoch_batches(dataset, batch_size=8, drop_last=True)
    assert [len(b) for b in dropped] == [16] * 4
    assert len(BalancedMixUpBatchSampler(DefaultSampler(dataset, seed=0), 8, drop_last=True)) == 4


def test_deterministic_per_seed_and_epoch():
    dataset = LabelledList()
    assert epoch_batches(dataset, 1, seed=3) == epoch_batches(dataset, 1, seed=3)
    _, bal_e1 = halves(epoch_batches(dataset, 1, seed=3))
    _, bal_e2 = halves(epoch_batches(dataset, 2, seed=3))
    _, bal_s4 = halves(epoch_batches(dataset, 1, seed=4))
    assert not np.array_equal(bal_e1, bal_e2) and not np.array_equal(bal_e1, bal_s4)
    # the balanced half is the plugin's class-balanced stream seeded [seed, epoch]
    stream = class_balanced_indices(
        build_class_indices([[c] for c in dataset.labels], 5), len(dataset), 1, seed=[3, 1])
    np.testing.assert_array_equal(bal_e1, stream)


def test_epoch_set_on_the_instance_sampler_reaches_the_balanced_half():
    """mmengine's DistSamplerSeedHook calls batch_sampler.sampler.set_epoch only."""
    dataset = LabelledList()
    sampler = DefaultSampler(dataset, shuffle=True, seed=0)
    batch_sampler = BalancedMixUpBatchSampler(sampler, 16)
    sampler.set_epoch(2)
    assert list(batch_sampler) == epoch_batches(dataset, 2)


def test_infinite_instance_sampler_gets_an_endless_balanced_half():
    dataset = LabelledList((20, 4))
    batches = BalancedMixUpBatchSampler(InfiniteSampler(dataset, seed=0), 4)
    taken = [b for _, b in zip(range(20), batches)]  # 80 pairs from 24 items
    assert all(len(b) == 8 for b in taken)


def test_errors_are_clear():
    with pytest.raises(ValueError, match='no dataset attribute'):
        BalancedMixUpBatchSampler(list(range(10)), 4)
    dataset = LabelledList((10, 0, 5))
    with pytest.raises(ValueError, match='skip_empty_classes'):
        BalancedMixUpBatchSampler(DefaultSampler(dataset, seed=0), 4)
    BalancedMixUpBatchSampler(DefaultSampler(dataset, seed=0), 4, skip_empty_classes=True)


class Unlabelled:
    """A dataset that gives no classes."""

    def __len__(self):
        return 6

    def __getitem__(self, idx):
        return idx


def test_a_dataset_without_class_labels_is_refused_with_the_fix():
    with pytest.raises(
            ValueError,
            match=r'balanced half with ClassBalancedSampler, which refused '
            r'the dataset: .*Unlabelled has no get_cat_ids\(idx\) method. Add one'):
        BalancedMixUpBatchSampler(DefaultSampler(Unlabelled(), seed=0), 2)
    nothing = LabelledList((3, 3))
    nothing.get_cat_ids = lambda idx: []
    with pytest.raises(ValueError, match='found no item with a class'):
        BalancedMixUpBatchSampler(DefaultSampler(nothing, seed=0), 2)


def test_a_class_balanced_instance_sampler_is_refused():
    from bdcl_mm.datasets.samplers import ClassBalancedSampler
    sampler = ClassBalancedSampler(LabelledList((10, 5)), seed=0)
    with pytest.raises(ValueError, match="sampler=dict\\(type='DefaultSampler', shuffle=True\\)"):
        BalancedMixUpBatchSampler(sampler, 4)


def test_runner_builds_it_as_the_batch_sampler_with_the_loaders_batch_size():
    assert DATA_SAMPLERS.get('BalancedMixUpBatchSampler') is BalancedMixUpBatchSampler
    dataset = LabelledList((40, 8))
    loader = Runner.build_dataloader(
        dict(
            batch_size=4,
            num_workers=0,
            dataset=dataset,
            collate_fn=dict(type='default_collate'),
            sampler=dict(type='DefaultSampler', shuffle=True),
            batch_sampler=dict(type='BalancedMixUpBatchSampler')),
        seed=0)
    assert isinstance(loader.batch_sampler, BalancedMixUpBatchSampler)
    batches = [b.tolist() for b in loader]
    assert len(batches) == 12 and all(len(b) == 8 for b in batches)


def _gloo_worker(rank):
    dataset = LabelledList()
    sampler = DefaultSampler(dataset, shuffle=True)  # seed from sync_random_seed
    batch_sampler = BalancedMixUpBatchSampler(sampler, 16)
    batch_sampler.set_epoch(1)
    inst, bal = halves(list(batch_sampler))
    return int(sampler.seed), inst, bal, batch_sampler.balanced.world_size


def test_two_gloo_ranks_get_disjoint_instance_halves_and_split_one_balanced_stream():
    (seed0, inst0, bal0, ws0), (seed1, inst1, bal1, ws1) = run_gloo(
        _gloo_worker, start_method='fork')
    assert seed0 == seed1 and ws0 == ws1 == 2
    n = len(LabelledList())
    assert len(inst0) == len(inst1) == len(bal0) == len(bal1) == n // 2
    assert not set(inst0.tolist()) & set(inst1.tolist())
    assert sorted(inst0.tolist() + inst1.tolist()) == list(range(n))
    stream = class_balanced_indices(
        build_class_indices([[c] for c in LabelledList().labels], 5), n, 1, seed=[seed0, 1])
    np.testing.assert_array_equal(bal0, stream[0::2])
    np.testing.assert_array_equal(bal1, stream[1::2])
