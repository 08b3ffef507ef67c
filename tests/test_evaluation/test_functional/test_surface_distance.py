"""Dice / HD95 / ASSD against MONAI (the test-only peer) on random, empty and one-pixel masks;
the by-hand cases run without MONAI."""
import warnings

import numpy as np
import pytest
import torch
from scipy.ndimage import binary_erosion

from bdcl_mm.evaluation.functional import (check_spacing, label_map_scores, mask_surface,
                                           surface_distances, surface_scores)

#: MONAI returns float32; ours are float64.
RTOL = 1e-6


def monai_values(pred, gt, spacing=None):
    """MONAI's (HD95, ASSD, Dice) of two boolean masks of shape (H, W); skips without MONAI."""
    monai_metrics = pytest.importorskip('monai.metrics')
    p = torch.from_numpy(pred)[None, None].float()
    g = torch.from_numpy(gt)[None, None].float()
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')  # MONAI warns on empty masks
        hd95 = monai_metrics.compute_hausdorff_distance(
            p, g, include_background=True, percentile=95, spacing=spacing).item()
        assd = monai_metrics.compute_average_surface_distance(
            p, g, include_background=True, symmetric=True, spacing=spacing).item()
        dice = monai_metrics.compute_dice(p, g, include_background=True).item()
    return hd95, assd, dice


def assert_same(ours, theirs):
    for name, a, b in zip(('hd95', 'assd', 'dice'), ours, theirs):
        if np.isnan(b) or np.isinf(b):
            assert (np.isnan(a) and np.isnan(b)) or a == b, (name, a, b)
        else:
            assert abs(a - b) <= RTOL * max(1.0, abs(b)), (name, a, b)


def random_pair(rng, shape):
    def blob():
        mask = rng.random(shape) < rng.uniform(0.05, 0.9)
        return mask if rng.random() < 0.5 else binary_erosion(mask, iterations=1) | (
            rng.random(shape) < 0.02)
    return blob(), blob()


@pytest.mark.parametrize('with_spacing', [False, True])
def test_random_masks_match_monai(with_spacing):
    rng = np.random.default_rng(1 + with_spacing)
    for _ in range(60):
        shape = tuple(rng.integers(2, 48, 2))
        pred, gt = random_pair(rng, shape)
        spacing = tuple(rng.uniform(0.2, 3.0, 2)) if with_spacing else None
        s = surface_scores(pred, gt, spacing)
        assert_same((s.hd95, s.assd, s.dice), monai_values(pred, gt, spacing))
        assert s.case == 'both' or not (pred.any() and gt.any())


@pytest.mark.parametrize('case', ['both_empty', 'pred_empty', 'gt_empty'])
def test_empty_masks_match_monai_and_are_named(case):
    gt = np.zeros((16, 20), bool)
    pred = np.zeros((16, 20), bool)
    if case != 'gt_empty':
        gt[3:9, 4:12] = True
    if case != 'pred_empty':
        pred[5:11, 2:8] = True
    if case == 'both_empty':
        gt[:] = False
        pred[:] = False
    s = surface_scores(pred, gt, spacing=(0.5, 0.7))
    assert s.case == case
    assert_same((s.hd95, s.assd, s.dice), monai_values(pred, gt, (0.5, 0.7)))
    assert np.isnan(s.hd95)
    assert np.isnan(s.assd) if case == 'both_empty' else s.assd == np.inf
    assert s.dice == 0.0 if case == 'pred_empty' else np.isnan(s.dice)


def test_one_pixel_masks_match_monai():
    rng = np.random.default_rng(3)
    for _ in range(20):
        shape = tuple(rng.integers(1, 30, 2))
        pred = np.zeros(shape, bool)
        gt = np.zeros(shape, bool)
        pred[tuple(rng.integers(0, shape))] = True
        gt[tuple(rng.integers(0, shape))] = True
        if rng.random() < 0.5:
            gt |= rng.random(shape) < 0.3
        for spacing in (None, (1.5, 0.4)):
            s = surface_scores(pred, gt, spacing)
            assert_same((s.hd95, s.assd, s.dice), monai_values(pred, gt, spacing))


def test_known_distances_by_hand():
    # two 1-pixel masks 3 rows and 4 columns apart: every distance is 5 (pixels)
    pred = np.zeros((10, 10), bool)
    gt = np.zeros((10, 10), bool)
    pred[1, 1] = gt[4, 5] = True
    s = surface_scores(pred, gt)
    assert s.hd95 == s.assd == 5.0 and s.dice == 0.0
    assert surface_scores(pred, gt, spacing=2.0).hd95 == 10.0
    assert surface_scores(pred, pred).hd95 == 0.0 and surface_scores(pred, pred).dice == 1.0


def test_surface_is_mask_xor_erosion_with_background_border():
    rng = np.random.default_rng(0)
    mask = rng.random((13, 17)) < 0.7
    assert np.array_equal(mask_surface(mask), mask ^ binary_erosion(mask))
    full = np.ones((5, 6), bool)
    assert mask_surface(full).sum() == 5 * 6 - 3 * 4  # the image border is a surface


def test_cropping_changes_no_distance():
    pred = np.zeros((64, 64), bool)
    gt = np.zeros((64, 64), bool)
    pred[40:50, 3:9] = True
    gt[10:20, 30:60] = True
    to_gt, to_pred = surface_distances(pred, gt)
    from scipy.ndimage import distance_transform_edt
    full_gt = distance_transform_edt(~mask_surface(gt))[mask_surface(pred)]
    full_pred = distance_transform_edt(~mask_surface(pred))[mask_surface(gt)]
    np.testing.assert_allclose(to_gt, full_gt)
    np.testing.assert_allclose(to_pred, full_pred)


def test_label_map_removes_ignored_pixels_from_the_prediction():
    gt = np.zeros((12, 12), np.int64)
    gt[2:6, 2:6] = 1
    gt[8:, 8:] = 255
    pred = np.zeros_like(gt)
    pred[2:6, 2:6] = 1
    pred[8:, 8:] = 1  # predicted where the ground truth is unlabelled
    kept, ignored = label_map_scores(pred, gt, [1], ignore_index=None)[0], label_map_scores(
        pred, gt, [1], ignore_index=255)[0]
    assert ignored.dice == 1.0 and ignored.hd95 == 0.0
    assert kept.dice < 1.0 and kept.hd95 > 0.0
    scores = label_map_scores(torch.from_numpy(pred), torch.from_numpy(gt), [0, 1])
    assert [s.gt_pixels for s in scores] == [int((gt == 0).sum()), 16]


def test_bad_input_is_named():
    with pytest.raises(ValueError, match='same shape'):
        surface_scores(np.zeros((3, 3)), np.zeros((3, 4)))
    with pytest.raises(ValueError, match='one value per mask axis'):
        check_spacing((1.0, 2.0, 3.0), 2)
    with pytest.raises(ValueError, match=r'spacing\[1\]'):
        check_spacing((1.0, 0.0), 2)
    with pytest.raises(ValueError, match='percentile'):
        surface_scores(np.ones((3, 3)), np.ones((3, 3)), percentile=101)
    with pytest.raises(ValueError, match='non-empty'):
        surface_distances(np.zeros((3, 3)), np.ones((3, 3)))
    assert check_spacing(0.5, 2) == (0.5, 0.5) and check_spacing(None, 2) is None
