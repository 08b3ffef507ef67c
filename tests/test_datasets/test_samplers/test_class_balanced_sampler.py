"""ClassBalancedSampler: uniform classes, determinism, rank slices, infinite mode, errors."""
import itertools

import numpy as np
import pytest
from mmengine.registry import DATA_SAMPLERS
from scipy.stats import chi2

import bdcl_mm.registration  # noqa: F401  (registers the sampler)
from bdcl_mm.datasets.samplers import (ClassBalancedSampler, build_class_indices,
                                       class_balanced_indices)
from tests._shared.distributed import run_gloo


class LabelledList:
    """A minimal dataset: items are their labels (lists of classes)."""

    def __init__(self, cat_ids, classes=None):
        self.cat_ids = [list(c) for c in cat_ids]
        self.metainfo = {'classes': classes} if classes else {}

    def __len__(self):
        return len(self.cat_ids)

    def __getitem__(self, idx):
        return self.cat_ids[idx]

    def get_cat_ids(self, idx):
        return self.cat_ids[idx]


def long_tail_dataset(counts=(1000, 316, 100, 31, 10)):
    labels = np.repeat(np.arange(len(counts)), counts)
    return LabelledList([[int(x)] for x in labels], classes=[f'c{i}' for i in range(len(counts))])


def labels_of(dataset, indices):
    return np.array([dataset.get_cat_ids(i)[0] for i in indices])


def test_registered_and_uniform_over_classes_on_100_to_1_data():
    dataset = long_tail_dataset()
    sampler = DATA_SAMPLERS.build(
        dict(type='ClassBalancedSampler', num_samples=20000),
        default_args=dict(dataset=dataset, seed=0))
    assert isinstance(sampler, ClassBalancedSampler)
    indices = list(sampler)
    assert len(indices) == len(sampler) == 20000
    observed = np.bincount(labels_of(dataset, indices), minlength=5)
    expected = 20000 / 5
    statistic = ((observed - expected)**2 / expected).sum()
    assert statistic < chi2.ppf(0.999, df=4), observed
    # natural frequencies would be ~68% head class: the sampler is far from that
    assert observed[0] < 0.25 * 20000


def test_every_item_of_a_class_is_used_before_any_repeats():
    dataset = LabelledList([[0]] * 3 + [[1]] * 7)
    indices = list(ClassBalancedSampler(dataset, num_samples=600, seed=3))
    for cls, size in ((0, 3), (1, 7)):
        drawn = [i for i in indices if dataset.get_cat_ids(i)[0] == cls]
        for start in range(0, len(drawn) - size + 1, size):
            assert sorted(drawn[start:start + size]) == sorted(
                i for i in range(10) if dataset.get_cat_ids(i)[0] == cls)


def test_seed_and_epoch_determinism():
    dataset = long_tail_dataset()
    first = ClassBalancedSampler(dataset, seed=7)
    second = ClassBalancedSampler(dataset, seed=7)
    assert list(first) == list(second)
    assert list(first) == list(first)  # same epoch, same order
    epoch0 = list(first)
    first.set_epoch(1)
    assert list(first) != epoch0
    assert list(ClassBalancedSampler(dataset, seed=8)) != epoch0
    assert len(epoch0) == len(dataset)


@pytest.mark.parametrize('num_samples_cls', [1, 4])
def test_ranks_read_disjoint_equal_blocks_of_one_stream(num_samples_cls):
    dataset = long_tail_dataset()
    world_size, total = 3, 1001
    per_rank = [
        list(
            ClassBalancedSampler(
                dataset,
                num_samples_cls=num_samples_cls,
                num_samples=total,
                seed=5,
                rank=r,
                world_size=world_size)) for r in range(world_size)
    ]
    assert [len(p) for p in per_rank] == [334] * 3
    # reference loop: one stream cut into blocks, block k to rank k % world_size
    stream = class_balanced_indices(
        build_class_indices(dataset.cat_ids, 5),
        num_samples=2000,
        num_samples_cls=num_samples_cls,
        seed=[5, 0])
    blocks = [stream[i:i + num_samples_cls] for i in range(0, len(stream), num_samples_cls)]
    for rank in range(world_size):
        mine = np.concatenate(blocks[rank::world_size])[:334]
        assert per_rank[rank] == mine.tolist()
    # the ranks' blocks, interleaved again, are the start of the single stream
    merged = [b.tolist() for b in blocks[:(334 // num_samples_cls) * world_size]]
    rejoined = [
        per_rank[k % world_size][(k // world_size) * num_samples_cls:(k // world_size + 1) *
                                 num_samples_cls] for k in range(len(merged))
    ]
    assert rejoined == merged


def test_num_samples_cls_consecutive_draws_per_class():
    dataset = long_tail_dataset()
    indices = list(ClassBalancedSampler(dataset, num_samples_cls=4, num_samples=400, seed=1))
    labels = labels_of(dataset, indices).reshape(-1, 4)
    assert (labels == labels[:, :1]).all()
    assert len(set(labels[:, 0].tolist())) == 5
    # blocks of 4 per rank survive a rank split too
    rank1 = list(
        ClassBalancedSampler(
            dataset, num_samples_cls=4, num_samples=400, seed=1, rank=1, world_size=2))
    labels = labels_of(dataset, rank1).reshape(-1, 4)
    assert (labels == labels[:, :1]).all()


def test_infinite_mode_keeps_going_and_is_seeded():
    dataset = long_tail_dataset((5, 3))
    sampler = ClassBalancedSampler(dataset, infinite=True, seed=2)
    taken = list(itertools.islice(iter(sampler), 100))
    assert len(taken) == 100 > len(dataset)
    sampler.set_epoch(3)  # no effect in infinite mode
    assert list(itertools.islice(iter(sampler), 100)) == taken
    observed = np.bincount(labels_of(dataset, taken), minlength=2)
    assert observed.min() > 25


def test_multi_label_items_are_in_each_class_list():
    dataset = LabelledList([[0, 1], [0], [0], [0], [2], [1, 2]], classes=['a', 'b', 'c'])
    sampler = ClassBalancedSampler(dataset, seed=0)
    assert [c.tolist() for c in sampler.class_indices] == [[0, 1, 2, 3], [0, 5], [4, 5]]
    drawn = list(ClassBalancedSampler(dataset, num_samples=3000, seed=0))
    counts = np.bincount(drawn, minlength=6)
    # class b is drawn 1/3 of the time and split over items 0 and 5
    assert counts[5] > counts[1]


def test_mmpretrain_dataset_read_through_get_gt_labels(tmp_path):
    from mmpretrain.datasets import CustomDataset
    ann = tmp_path / 'train.txt'
    ann.write_text(''.join(f'img{i}.png {label}\n' for i, label in enumerate([0, 0, 0, 2, 1])))
    dataset = CustomDataset(
        ann_file=str(ann),
        data_prefix=str(tmp_path),
        metainfo=dict(classes=('x', 'y', 'z')),
        pipeline=[])
    sampler = ClassBalancedSampler(dataset, seed=0)
    assert [c.tolist() for c in sampler.class_indices] == [[0, 1, 2], [4], [3]]


def test_errors_are_clear():
    with pytest.raises(ValueError, match='get_cat_ids'):
        ClassBalancedSampler(list(range(4)), seed=0)
    empty = LabelledList([[0], [0], [2]], classes=['head', 'ghost', 'tail'])
    with pytest.raises(ValueError, match=r"1 \('ghost'\).*skip_empty_classes=True"):
        ClassBalancedSampler(empty, seed=0)
    sampler = ClassBalancedSampler(empty, skip_empty_classes=True, num_samples=50, seed=0)
    assert set(labels_of(empty, list(sampler))) == {0, 2}
    with pytest.raises(ValueError, match='num_samples_cls'):
        ClassBalancedSampler(long_tail_dataset(), num_samples_cls=0, seed=0)
    with pytest.raises(ValueError, match='rank'):
        ClassBalancedSampler(long_tail_dataset(), rank=2, world_size=2, seed=0)
    with pytest.raises(ValueError, match='outside'):
        ClassBalancedSampler(LabelledList([[0], [3]], classes=['a', 'b']), seed=0)
    with pytest.raises(ValueError, match='empty dataset'):
        ClassBalancedSampler(LabelledList([]), seed=0)


def _gloo_worker(rank):
    dataset = long_tail_dataset()
    sampler = ClassBalancedSampler(dataset, num_samples_cls=4, num_samples=999)  # seed synced
    return np.array([sampler.seed, len(sampler)] + list(sampler))


def test_two_gloo_processes_share_the_seed_and_split_the_stream():
    rank0, rank1 = run_gloo(_gloo_worker, start_method='fork')
    assert rank0[0] == rank1[0]  # seed synchronised by sync_random_seed
    assert rank0[1] == rank1[1] == 500
    seed = int(rank0[0])
    stream = class_balanced_indices(
        build_class_indices(long_tail_dataset().cat_ids, 5), 1000, 4, seed=[seed, 0])
    blocks = stream.reshape(-1, 4)
    np.testing.assert_array_equal(rank0[2:], blocks[0::2].reshape(-1)[:500])
    np.testing.assert_array_equal(rank1[2:], blocks[1::2].reshape(-1)[:500])
