"""Imbalance metric maths: imbalanced-learn agreement and hand-computed values."""
import math

import numpy as np
import pytest
import torch
from imblearn.metrics import sensitivity_specificity_support
from sklearn.metrics import f1_score

from bdcl_mm.evaluation.functional import (balanced_accuracy, confusion_matrix, f1_per_class,
                                           g_mean, iba, imbalance_metrics, macro_f1, precision,
                                           sensitivity, shot_group_accuracy, specificity,
                                           top1_accuracy)


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_per_class_values_match_imblearn(seed):
    rng = np.random.default_rng(seed)
    num_classes = 6
    targets = rng.choice(num_classes, size=400, p=[0.5, 0.2, 0.15, 0.1, 0.04, 0.01])
    preds = np.where(rng.random(400) < 0.6, targets, rng.integers(num_classes, size=400))
    cm = confusion_matrix(preds, targets, num_classes)
    sen_ref, spe_ref, support = sensitivity_specificity_support(
        targets, preds, labels=list(range(num_classes)), average=None)
    np.testing.assert_allclose(sensitivity(cm), sen_ref)
    np.testing.assert_allclose(specificity(cm), spe_ref)
    np.testing.assert_array_equal(cm.sum(axis=1), support)
    np.testing.assert_allclose(
        macro_f1(cm), f1_score(targets, preds, labels=list(range(num_classes)), average='macro'))


def test_hand_computed_three_class_matrix():
    # rows: true class, columns: predicted class
    cm = np.array([[5, 1, 0], [2, 3, 1], [0, 0, 2]])
    # one-vs-rest by hand (N = 14):
    # class 0: TP 5, FN 1, FP 2, TN 6 -> sen 5/6, spe 6/8
    # class 1: TP 3, FN 3, FP 1, TN 7 -> sen 3/6, spe 7/8
    # class 2: TP 2, FN 0, FP 1, TN 11 -> sen 1, spe 11/12
    sen = [5 / 6, 3 / 6, 1.0]
    spe = [6 / 8, 7 / 8, 11 / 12]
    np.testing.assert_allclose(sensitivity(cm), sen)
    np.testing.assert_allclose(specificity(cm), spe)
    assert top1_accuracy(cm) == pytest.approx(10 / 14)
    assert balanced_accuracy(cm) == pytest.approx((5 / 6 + 0.5 + 1) / 3)
    gmean = (math.sqrt(5 / 6 * 6 / 8) + math.sqrt(3 / 6 * 7 / 8) + math.sqrt(11 / 12)) / 3
    assert g_mean(sen, spe) == pytest.approx(gmean)
    for alpha in (0.1, 0.5, 1.0):
        expected = sum((1 + alpha * (s - p)) * s * p for s, p in zip(sen, spe)) / 3
        assert iba(sen, spe, alpha) == pytest.approx(expected)
    # precision: 5/7, 3/4, 2/3; F1 = 2TP / (2TP + FP + FN)
    np.testing.assert_allclose(precision(cm), [5 / 7, 3 / 4, 2 / 3])
    f1 = [10 / 13, 6 / 10, 4 / 5]
    np.testing.assert_allclose(f1_per_class(cm), f1)
    assert macro_f1(cm) == pytest.approx(sum(f1) / 3)

    preds = np.repeat(np.tile(np.arange(3), 3), cm.reshape(-1))
    targets = np.repeat(np.repeat(np.arange(3), 3), cm.reshape(-1))
    np.testing.assert_array_equal(confusion_matrix(preds, targets, 3), cm)
    results = imbalance_metrics(torch.from_numpy(preds), torch.from_numpy(targets), 3)
    assert results['acc'] == pytest.approx(100 * 10 / 14)
    assert results['gmean'] == pytest.approx(100 * gmean)
    assert results['iba_0.1'] == pytest.approx(100 * sum(
        (1 + 0.1 * (s - p)) * s * p for s, p in zip(sen, spe)) / 3)
    assert set(results) >= {'f1', 'iba_0.5', 'iba_1', 'balanced_acc', 'sensitivity'}


def test_class_absent_from_predictions_and_targets_does_not_crash():
    targets = np.array([0, 0, 1, 1])
    preds = np.array([0, 1, 1, 1])  # class 2 is never predicted and never a target
    results = imbalance_metrics(preds, targets, 3)
    # class 2: sen 0/0 := 0, spe 4/4 = 1, precision 0/0 := 0, F1 0
    np.testing.assert_allclose(results['sensitivity'], [50.0, 100.0, 0.0])
    np.testing.assert_allclose(results['specificity'], [100.0, 50.0, 100.0])
    np.testing.assert_allclose(results['precision'], [100.0, 200 / 3, 0.0])
    assert results['gmean'] == pytest.approx(100 * (math.sqrt(0.5) + math.sqrt(0.5) + 0) / 3)
    assert all(np.isfinite(v) for v in results.values() if np.ndim(v) == 0)
    # a class never predicted (class 1 here) only zeroes its precision
    assert precision(confusion_matrix([0, 0], [0, 1], 2)).tolist() == [0.5, 0.0]


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match='outside'):
        confusion_matrix([0, 3], [0, 1], 3)
    with pytest.raises(ValueError, match='same length'):
        confusion_matrix([0, 1], [0], 2)
    with pytest.raises(ValueError, match='num_classes'):
        confusion_matrix([0], [0], 0)
    with pytest.raises(ValueError, match='alpha'):
        iba([1.0], [1.0], -1)


def test_shot_groups():
    recall = np.array([0.9, 0.8, 0.5, 0.4, 0.1])
    counts = np.array([500, 101, 100, 20, 19])
    groups = shot_group_accuracy(recall, counts, many_threshold=100, few_threshold=20)
    assert groups == pytest.approx({'many': 0.85, 'medium': 0.45, 'few': 0.1})
    assert 'few' not in shot_group_accuracy(recall[:2], counts[:2])
    with pytest.raises(ValueError, match='one training count per class'):
        shot_group_accuracy(recall, counts[:3])
