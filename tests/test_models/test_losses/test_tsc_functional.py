"""TSC maths against a loop over anchors of the reference formula (LTH14/targeted-supcon,
``moco/builder.py`` KCL with ``sep_t``, in-batch instead of a queue), the target generation, the
Hungarian assignment and the EMA centroids."""
import itertools

import pytest
import torch
import torch.nn.functional as F

from bdcl_mm.models.losses.tsc_functional import (TSCStatistics, _cached_targets,
                                                  centroid_update, generate_targets,
                                                  hungarian_assignment, tsc_loss,
                                                  tsc_loss_terms, tsc_statistics,
                                                  uniformity_loss)


def reference_tsc(features, labels, targets, assignment, temperature, tw, groups=None):
    """One anchor at a time, as builder.py: log_prob = log of the L1-normalised exp(logits)
    over [other items | all targets]; class and target masks; both sums divided by the number of
    positives (targets counted); summed over anchors and divided by their number."""
    z = F.normalize(features.double(), dim=1)
    t = targets.double()
    num = z.shape[0]
    loss_class = loss_target = 0.0
    for i in range(num):
        items = [j for j in range(num)
                 if j != i and (groups is None or int(groups[j]) == int(groups[i]))]
        logits = torch.cat([z[i] @ z[items].t(), z[i] @ t.t()]) / temperature
        log_prob = F.normalize(logits.exp(), dim=0, p=1).log()
        mask_class = torch.tensor([int(labels[j]) == int(labels[i]) for j in items] +
                                  [False] * len(t), dtype=torch.float64)
        mask_target = torch.tensor([False] * len(items) +
                                   [k == int(assignment[labels[i]]) for k in range(len(t))],
                                   dtype=torch.float64)
        positives = mask_class.sum() + mask_target.sum()
        loss_class = loss_class - (mask_class * log_prob).sum() / positives
        loss_target = loss_target - (mask_target * log_prob).sum() / positives
    return loss_class / num + tw * loss_target / num


def _batch(n=14, dim=6, classes=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, classes, (n, ), generator=g)
    labels[0] = classes - 1  # keep a class present once or more
    features = torch.randn(n, dim, generator=g, dtype=torch.float64)
    targets = F.normalize(torch.randn(classes, dim, generator=g, dtype=torch.float64), dim=1)
    assignment = torch.randperm(classes, generator=g)
    return features, labels, targets, assignment


@pytest.mark.parametrize('chunk_size', [None, 4])
@pytest.mark.parametrize('use_groups', [False, True])
@pytest.mark.parametrize('temperature,tw', [(0.07, 0.2), (0.5, 1.0)])
def test_loss_and_gradient_match_the_reference_loop(chunk_size, use_groups, temperature, tw):
    features, labels, targets, assignment = _batch()
    groups = torch.arange(len(labels)) % 3 if use_groups else None
    x = features.clone().requires_grad_(True)
    got = tsc_loss(x, labels, targets, assignment, temperature, tw, chunk_size, groups)
    (grad, ) = torch.autograd.grad(got, x)
    y = features.clone().requires_grad_(True)
    want = reference_tsc(y, labels, targets, assignment, temperature, tw, groups)
    (want_grad, ) = torch.autograd.grad(want, y)
    assert got.dtype == torch.float64
    torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(grad, want_grad, rtol=1e-8, atol=1e-10)


def test_target_weight_and_assignment_matter():
    features, labels, targets, assignment = _batch()
    base = tsc_loss(features, labels, targets, assignment)
    assert not torch.allclose(base, tsc_loss(features, labels, targets, assignment,
                                             target_weight=1.0))
    assert not torch.allclose(base, tsc_loss(features, labels, targets, assignment.roll(1)))


def test_targets_get_no_gradient_and_an_alone_anchor_is_finite():
    features, labels, targets, assignment = _batch(n=1)
    targets = targets.clone().requires_grad_(True)
    x = features.clone().requires_grad_(True)
    loss = tsc_loss(x, labels, targets, assignment, chunk_size=1)
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    assert targets.grad is None
    torch.testing.assert_close(loss, reference_tsc(features, labels, targets.detach(),
                                                   assignment, 0.07, 0.2))


def test_empty_batch_is_a_zero_that_still_backpropagates():
    x = torch.zeros(0, 6, requires_grad=True)
    loss = tsc_loss(x, torch.zeros(0, dtype=torch.long), torch.eye(4, 6), torch.arange(4))
    assert loss.item() == 0.0 and loss.requires_grad
    loss.backward()
    assert x.grad is not None and x.grad.shape == (0, 6)


@pytest.mark.parametrize('dtype', [torch.float16, torch.bfloat16, torch.float32, torch.float64])
def test_dtypes_compute_in_float32_or_float64(dtype):
    features, labels, targets, assignment = _batch()
    x = features.to(dtype).requires_grad_(True)
    loss = tsc_loss(x, labels, targets.to(dtype), assignment, chunk_size=5)
    loss.backward()
    assert loss.dtype == (torch.float64 if dtype == torch.float64 else torch.float32)
    assert x.grad.dtype == dtype and torch.isfinite(x.grad.float()).all()
    want = reference_tsc(x.detach().double(), labels, F.normalize(targets.to(dtype).double()),
                         assignment, 0.07, 0.2)
    torch.testing.assert_close(loss.double(), want, rtol=1e-5, atol=1e-5)


def test_bad_inputs_say_what_is_wrong():
    features, labels, targets, assignment = _batch()
    with pytest.raises(ValueError, match='remove ignored items'):
        tsc_loss(features, torch.full_like(labels, 255), targets, assignment)
    with pytest.raises(ValueError, match='targets must have shape'):
        tsc_loss(features, labels, targets[:, :3], assignment)
    with pytest.raises(ValueError, match='assignment must have shape'):
        tsc_loss(features, labels, targets, assignment[:2])


@pytest.mark.parametrize('dim', [2, 3, 128])
def test_three_targets_form_an_equilateral_triangle(dim):
    targets = generate_targets(3, dim)
    assert targets.dtype == torch.float32 and targets.shape == (3, dim)
    cos = targets @ targets.t()
    torch.testing.assert_close(cos.diagonal(), torch.ones(3))
    off = cos[~torch.eye(3, dtype=torch.bool)]
    torch.testing.assert_close(off, torch.full_like(off, -0.5), rtol=0, atol=1e-5)


@pytest.mark.parametrize('classes,dim', [(10, 9), (10, 32), (23, 128)])
def test_targets_are_more_uniform_than_random_points(classes, dim):
    targets = generate_targets(classes, dim).double()
    g = torch.Generator().manual_seed(1)
    for _ in range(5):
        random = F.normalize(torch.randn(classes, dim, generator=g, dtype=torch.float64), dim=1)
        assert uniformity_loss(targets) < uniformity_loss(random)
    off = (targets @ targets.t())[~torch.eye(classes, dtype=torch.bool)]
    torch.testing.assert_close(off, torch.full_like(off, -1 / (classes - 1)), rtol=0,
                               atol=1e-4)  # the regular simplex


def test_targets_are_deterministic_cached_and_copies():
    first = generate_targets(5, 7, seed=3)
    hits = _cached_targets.cache_info().hits
    second = generate_targets(5, 7, seed=3)
    assert _cached_targets.cache_info().hits == hits + 1
    assert torch.equal(first, second)
    second.zero_()
    assert torch.equal(generate_targets(5, 7, seed=3), first)
    assert not torch.equal(generate_targets(5, 7, seed=4), first)


def test_too_few_dimensions_are_refused_with_the_fix():
    with pytest.raises(ValueError, match=r'at least num_classes - 1 = 4.*proj_channels'):
        generate_targets(5, 3)
    generate_targets(5, 4)


def test_hungarian_assignment_is_the_best_matching_and_follows_a_class_permutation():
    g = torch.Generator().manual_seed(0)
    classes, dim = 5, 6
    centroids = F.normalize(torch.randn(classes, dim, generator=g), dim=1)
    targets = generate_targets(classes, dim)
    assignment = hungarian_assignment(centroids, targets)
    assert assignment.dtype == torch.long and sorted(assignment.tolist()) == list(range(classes))
    score = centroids @ targets.t()
    best = max(itertools.permutations(range(classes)),
               key=lambda p: float(sum(score[c, p[c]] for c in range(classes))))
    assert assignment.tolist() == list(best)
    # relabel the classes: class k becomes class perm[k]; it keeps its target
    perm = torch.randperm(classes, generator=g)
    permuted = torch.empty_like(centroids)
    permuted[perm] = centroids
    moved = hungarian_assignment(permuted, targets)
    assert torch.equal(moved[perm], assignment)
    assert not torch.equal(moved, assignment)


def test_centroid_update_follows_the_ema_and_initialises_on_first_sight():
    g = torch.Generator().manual_seed(0)
    centroids = F.normalize(torch.randn(4, 3, generator=g), dim=1)
    valid = torch.tensor([True, True, False, False])
    features = F.normalize(torch.randn(6, 3, generator=g), dim=1)
    labels = torch.tensor([0, 0, 2, 2, 2, 0])
    stats = tsc_statistics(features, labels, 4)
    new, new_valid = centroid_update(centroids, valid, stats.feat_sum, stats.feat_count, 0.1)
    mean0 = F.normalize(features[labels == 0].mean(0), dim=0)
    torch.testing.assert_close(new[0], F.normalize(0.9 * centroids[0] + 0.1 * mean0, dim=0))
    torch.testing.assert_close(new[1], centroids[1])  # absent: unchanged
    torch.testing.assert_close(new[2], F.normalize(features[labels == 2].mean(0), dim=0))
    torch.testing.assert_close(new[3], centroids[3])
    assert new_valid.tolist() == [True, True, True, False]
    bad = stats.feat_sum.clone()
    bad[1, 0] = float('nan')
    same, same_valid = centroid_update(centroids, valid, bad, stats.feat_count, 0.1)
    assert torch.equal(same, centroids) and torch.equal(same_valid, valid)


def test_statistics_add_and_round_trip():
    a = TSCStatistics.zeros(3, 2)
    a.feat_count += 1
    b = a + a
    assert b.feat_count.tolist() == [2.0, 2.0, 2.0]
    assert torch.equal(a.unflatten(b.flatten()).feat_count, b.feat_count)
    assert torch.equal(TSCStatistics.from_state_dict(b.state_dict()).feat_count, b.feat_count)
    with pytest.raises(ValueError, match='TSCStatistics state must have the keys'):
        TSCStatistics.from_state_dict({'feat_sum': torch.zeros(3, 2)})
    terms = tsc_loss_terms(torch.randn(4, 2), torch.tensor([0, 1, 1, 2]), torch.eye(3, 2),
                           torch.arange(3))
    assert terms.class_loss.shape == terms.target_loss.shape == (4, )
