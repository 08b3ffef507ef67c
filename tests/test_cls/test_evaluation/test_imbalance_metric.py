"""ImbalanceMetric through mmpretrain's registry and evaluator with DataSamples."""
import json
import math

import numpy as np
import pytest
import torch
from imblearn.metrics import sensitivity_specificity_support
from mmengine.evaluator import Evaluator
from mmengine.logging import MMLogger
from mmengine.registry import init_default_scope
from mmpretrain.registry import METRICS
from mmpretrain.structures import DataSample

import bdcl_mm.cls  # noqa: F401  (registers the metric)


def samples(preds, targets, num_classes, scores=True):
    out = []
    for pred, target in zip(preds, targets):
        sample = DataSample().set_gt_label(int(target))
        if scores:
            score = torch.full((num_classes, ), 0.1)
            score[pred] = 0.9
            sample.set_pred_score(score / score.sum())
        else:
            sample.set_pred_label(int(pred))
        out.append(sample.to_dict())
    return out


def test_registered_metric_matches_functional_values_through_evaluator():
    rng = np.random.default_rng(0)
    targets = rng.choice(4, size=200, p=[0.6, 0.25, 0.1, 0.05])
    preds = np.where(rng.random(200) < 0.7, targets, rng.integers(4, size=200))
    init_default_scope('mmpretrain')  # as a Runner with default_scope='mmpretrain' does
    evaluator = Evaluator([dict(type='ImbalanceMetric')])
    evaluator.dataset_meta = dict(classes=('nv', 'mel', 'bcc', 'df'))
    data = samples(preds, targets, 4)
    for start in range(0, 200, 64):
        evaluator.process(data[start:start + 64])
    metrics = evaluator.evaluate(200)

    sen, spe, _ = sensitivity_specificity_support(targets, preds, labels=[0, 1, 2, 3], average=None)
    assert metrics['imbalance/gmean'] == pytest.approx(100 * np.mean(np.sqrt(sen * spe)))
    assert metrics['imbalance/acc'] == pytest.approx(100 * np.mean(preds == targets))
    assert metrics['imbalance/iba_0.5'] == pytest.approx(100 * np.mean(
        (1 + 0.5 * (sen - spe)) * sen * spe))
    assert metrics['imbalance/recall_df'] == pytest.approx(100 * sen[3])
    assert metrics['imbalance/balanced_acc'] == pytest.approx(100 * sen.mean())
    assert {'imbalance/f1', 'imbalance/iba_0.1', 'imbalance/iba_1'} <= set(metrics)


def test_pred_labels_missing_class_and_logged_table(capsys):
    MMLogger.get_instance('bdcl_metric_test')
    metric = METRICS.build(dict(type='ImbalanceMetric', num_classes=3, per_class_results=False))
    metric.process(None, samples([0, 0, 1, 1], [0, 1, 1, 1], 3, scores=False))
    metrics = metric.evaluate(4)
    # class 2 never occurs: sensitivity 0, specificity 1 (0/0 := 0 documented)
    sen = [1.0, 2 / 3, 0.0]
    spe = [2 / 3, 1.0, 1.0]
    assert metrics['imbalance/gmean'] == pytest.approx(
        100 * sum(math.sqrt(a * b) for a, b in zip(sen, spe)) / 3)
    assert not any(k.startswith('imbalance/recall_') for k in metrics)
    logged = capsys.readouterr().out
    assert 'specificity' in logged and 'support' in logged


def test_shot_groups_from_split_info(tmp_path):
    info = tmp_path / 'split_info.json'
    info.write_text(json.dumps({'train_counts': [500, 50, 5]}))
    metric = METRICS.build(dict(type='ImbalanceMetric', train_class_counts=str(info)))
    metric.dataset_meta = dict(classes=('head', 'mid', 'tail'))
    metric.process(None, samples([0, 0, 1, 2, 1], [0, 0, 1, 2, 2], 3))
    metrics = metric.evaluate(5)
    assert metrics['imbalance/many_shot_acc'] == pytest.approx(100.0)
    assert metrics['imbalance/medium_shot_acc'] == pytest.approx(100.0)
    assert metrics['imbalance/few_shot_acc'] == pytest.approx(50.0)


def test_num_classes_mismatch_is_a_clear_error():
    metric = METRICS.build(dict(type='ImbalanceMetric', num_classes=3))
    metric.process(None, samples([0, 1], [0, 1], 4))
    with pytest.raises(ValueError, match='scores for \\[4\\] classes'):
        metric.evaluate(2)
    metric = METRICS.build(dict(type='ImbalanceMetric', num_classes=3))
    metric.dataset_meta = dict(classes=('a', 'b'))
    metric.process(None, samples([0, 1], [0, 1], 3))
    with pytest.raises(ValueError, match='dataset has 2 classes'):
        metric.evaluate(2)
