"""Pixel sampler: budgets, ignore pixels, tiny classes, hard-first choice, fairness, determinism."""
import itertools

import pytest
import torch

from bdcl_mm.seg.pixel_sampler import sample_pixels, water_fill


def brute_force_water_fill(demand, budget):
    """Loop reference: hand out one unit at a time to the group with the smallest allocation."""
    alloc = [0] * len(demand)
    for _ in range(min(budget, sum(demand))):
        open_groups = [g for g in range(len(demand)) if alloc[g] < demand[g]]
        g = min(open_groups, key=lambda i: alloc[i])
        alloc[g] += 1
    return alloc


@pytest.mark.parametrize('demand,budget', [
    ([5, 100, 30, 7], 50), ([3, 3, 3], 4), ([0, 9, 1], 5), ([10, 10], 100), ([4, 0, 0, 8, 2], 7),
    ([7], 3)
])
def test_water_fill_matches_loop_reference(demand, budget):
    alloc = water_fill(torch.tensor(demand), budget, torch.Generator().manual_seed(1)).tolist()
    # the multiset of allocations is unique; which of equal groups gets a leftover unit is random
    assert sorted(alloc) == sorted(brute_force_water_fill(demand, budget))
    assert sum(alloc) == min(budget, sum(demand))
    assert all(0 <= a <= d for a, d in zip(alloc, demand))
    short = [a for a, d in zip(alloc, demand) if a < d]
    assert not short or max(short) - min(short) <= 1  # groups left short differ by <= 1
    if short:  # a group served in full never asked for more than the others got
        assert all(d <= max(short) + 1 for a, d in zip(alloc, demand) if a == d)


def test_water_fill_rows_are_independent():
    demand = torch.tensor([[5, 100, 30, 7], [1, 1, 1, 1]])
    alloc = water_fill(demand, torch.tensor([50, 2]), torch.Generator().manual_seed(0))
    assert sorted(alloc[0].tolist()) == [5, 7, 19, 19]
    assert alloc[1].sum() == 2 and alloc[1].max() == 1


def make_batch(batch=3, size=16, seed=0):
    gen = torch.Generator().manual_seed(seed)
    labels = torch.zeros(batch, size, size, dtype=torch.long)
    labels[:, 2:10, 2:10] = 1  # 64 pixels of class 1 per image
    labels[:, 12:, :] = 255  # ignored rows
    labels[0, 0, :5] = 2  # a 5-pixel class in image 0 only
    preds = torch.where(torch.rand(batch, size, size, generator=gen) < 0.3,
                        (labels + 1) % 3, labels)
    preds[labels == 255] = 0
    return labels, preds


def per_group_counts(samples, batch, pixels):
    image = samples.index // pixels
    counts = {}
    for b, c in zip(image.tolist(), samples.labels.tolist()):
        counts[(b, c)] = counts.get((b, c), 0) + 1
    return counts


def test_respects_max_views_and_never_samples_ignore():
    labels, preds = make_batch()
    samples = sample_pixels(labels, preds, 3, max_views=20, generator=torch.Generator())
    flat = labels.reshape(-1)
    assert (flat[samples.index] != 255).all()
    assert torch.equal(samples.labels, flat[samples.index])
    assert torch.equal(samples.preds, preds.reshape(-1)[samples.index])
    assert samples.index.unique().numel() == samples.index.numel()
    counts = per_group_counts(samples, 3, 16 * 16)
    for b in range(3):
        assert counts[(b, 1)] == 20
        assert counts[(b, 0)] == 20
    assert counts[(0, 2)] == 5  # the tiny class keeps all it has
    assert all(c != 2 for (b, c) in counts if b > 0)


def test_max_samples_cap_keeps_tiny_class_and_is_fair_between_classes():
    labels, preds = make_batch()
    samples = sample_pixels(labels, preds, 3, max_views=50, max_samples=65,
                            generator=torch.Generator().manual_seed(3))
    assert samples.index.numel() == 65
    per_class = torch.bincount(samples.labels, minlength=3).tolist()
    assert per_class[2] == 5  # never dropped
    assert per_class[0] == per_class[1] == 30  # the rest split evenly between the classes
    per_image_class1 = [v for (b, c), v in per_group_counts(samples, 3, 256).items() if c == 1]
    assert max(per_image_class1) - min(per_image_class1) <= 1  # and evenly between images


def test_hard_pixels_first_then_topped_up_with_easy():
    labels = torch.zeros(1, 8, 8, dtype=torch.long)
    labels[0, :4] = 1  # 32 pixels of class 1
    preds = labels.clone()
    wrong = torch.zeros(8, 8, dtype=torch.bool)
    wrong[0, :3] = True  # 3 hard pixels of class 1
    wrong[5:, :] = True  # 24 hard pixels of class 0
    preds[0][wrong] = 1 - labels[0][wrong]
    samples = sample_pixels(labels, preds, 2, max_views=10, generator=torch.Generator())
    hard = samples.preds != samples.labels
    # class 1: only 3 hard exist -> all 3 taken, 7 easy top up
    assert hard[samples.labels == 1].sum() == 3 and (samples.labels == 1).sum() == 10
    # class 0: plenty of both -> half hard, half easy
    assert hard[samples.labels == 0].sum() == 5 and (samples.labels == 0).sum() == 10
    # odd quota: the extra pixel is hard
    samples = sample_pixels(labels, preds, 2, max_views=7, generator=torch.Generator())
    assert (samples.preds != samples.labels)[samples.labels == 0].sum() == 4
    # all wrong predictions of a class with few easy pixels: hard tops up the easy half
    all_wrong = 1 - labels
    samples = sample_pixels(labels, all_wrong, 2, max_views=10, generator=torch.Generator())
    assert (samples.preds != samples.labels).all() and samples.index.numel() == 20


def test_seeded_runs_are_reproducible_and_seeds_differ():
    labels, preds = make_batch(batch=4, size=32)
    runs = [
        sample_pixels(labels, preds, 3, 30, 100, generator=torch.Generator().manual_seed(s)).index
        for s in (7, 7, 8)
    ]
    assert torch.equal(runs[0], runs[1])
    assert not torch.equal(runs[0], runs[2])


def test_sampling_is_uniform_within_a_group():
    labels = torch.zeros(1, 4, 4, dtype=torch.long)
    gen = torch.Generator().manual_seed(0)
    hits = torch.zeros(16)
    for _ in range(400):
        hits[sample_pixels(labels, labels, 1, 4, generator=gen).index] += 1
    assert hits.sum() == 1600 and hits.min() > 60 and hits.max() < 140  # expected 100 each


def test_matches_per_group_loop_counts():
    labels, preds = make_batch(batch=4, size=24, seed=5)
    max_views = 13
    samples = sample_pixels(labels, preds, 3, max_views, generator=torch.Generator())
    counts = per_group_counts(samples, 4, 24 * 24)
    for b, c in itertools.product(range(4), range(3)):
        mask = labels[b] == c
        n_hard = int((mask & (preds[b] != c)).sum())
        n_easy = int((mask & (preds[b] == c)).sum())
        quota = min(max_views, n_hard + n_easy)
        want_hard = min(n_hard, quota - min(n_easy, quota // 2))
        chosen = samples.labels.eq(c) & (samples.index // (24 * 24)).eq(b)
        assert counts.get((b, c), 0) == quota
        assert int((samples.preds != samples.labels)[chosen].sum()) == want_hard


def test_bad_arguments_are_rejected():
    labels, preds = make_batch()
    with pytest.raises(ValueError, match='same shape'):
        sample_pixels(labels, preds[:, :4], 3, 10)
    with pytest.raises(ValueError, match='max_views'):
        sample_pixels(labels, preds, 3, 0)
    with pytest.raises(ValueError, match='max_samples'):
        sample_pixels(labels, preds, 3, 10, max_samples=0)
    with pytest.raises(ValueError, match=r'found \[2\]'):
        sample_pixels(labels, preds, 2, 10)
    empty = torch.full_like(labels, 255)
    assert sample_pixels(empty, preds, 3, 10).index.numel() == 0
