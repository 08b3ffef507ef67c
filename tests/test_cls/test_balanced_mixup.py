"""Balanced-MixUp in mmpretrain: the mixing maths, lam's law, the paired pre-processor, the
soft-label head loss and the config checks."""
import copy
import os.path as osp

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmpretrain.registry import BATCH_AUGMENTS, MODELS
from mmpretrain.structures import DataSample
from scipy.stats import beta, kstest

import bdcl_mm.cls  # noqa: F401
from bdcl_mm.cls import BalancedMixUp, PairedBatchClsDataPreprocessor, check_config
from bdcl_mm.models.augments import balanced_mixup
from tests._shared.paths import REPO

FMNIST = osp.join(REPO, 'configs/fmnist_lt/bal-mixup_resnet18s_200e_fmnist-lt-28.py')


def test_label_and_input_mixing_is_exact_for_a_fixed_lambda():
    gen = torch.Generator().manual_seed(0)
    inputs = torch.randn(6, 3, 4, 4, generator=gen)
    labels = torch.tensor([0, 0, 1, 2, 3, 1])
    scores = F.one_hot(labels, 4)
    mixed, soft = balanced_mixup(inputs, scores, 0.25)
    assert mixed.shape == (3, 3, 4, 4) and soft.shape == (3, 4)
    for i in range(3):
        torch.testing.assert_close(mixed[i], 0.75 * inputs[i] + 0.25 * inputs[3 + i])
        expected = torch.zeros(4)
        expected[labels[i]] += 0.75
        expected[labels[3 + i]] += 0.25
        torch.testing.assert_close(soft[i], expected)
    torch.testing.assert_close(soft.sum(1), torch.ones(3))
    torch.testing.assert_close(balanced_mixup(inputs, scores, 0.0)[0], inputs[:3])


@pytest.mark.parametrize('inputs, scores, lam, match', [
    (torch.zeros(5, 2), torch.zeros(5, 3), 0.5, 'paired batch of 2B'),
    (torch.zeros(4, 2), torch.zeros(6, 3), 0.5, 'paired batch of 2B'),
    (torch.zeros(4, 2), torch.zeros(4, 3), 1.5, r'lam must lie in \[0, 1\]'),
])
def test_bad_batches_are_refused(inputs, scores, lam, match):
    with pytest.raises(ValueError, match=match):
        balanced_mixup(inputs, scores, lam)


def _lambdas(augment, draws):
    """lam of each call: the mix of a zero image (instance) and a one image (balanced)."""
    inputs = torch.cat([torch.zeros(1, 1, 1, 1), torch.ones(1, 1, 1, 1)])
    scores = F.one_hot(torch.tensor([0, 1]), 2)
    return np.array([float(augment(inputs, scores)[0].item()) for _ in range(draws)])


@pytest.mark.parametrize('alpha', [0.2, 0.3])
def test_lambda_follows_beta_alpha_1(alpha):
    augment = BATCH_AUGMENTS.build(dict(type='BalancedMixUp', alpha=alpha))
    np.random.seed(0)
    lams = _lambdas(augment, 4000)
    mean = alpha / (alpha + 1)
    std = np.sqrt(beta(alpha, 1).var() / len(lams))
    assert abs(lams.mean() - mean) < 4 * std
    assert kstest(lams, beta(alpha, 1).cdf).pvalue > 1e-3
    assert kstest(lams, beta(alpha, alpha).cdf).pvalue < 1e-6  # not mmpretrain's Mixup law
    np.random.seed(0)
    np.testing.assert_array_equal(_lambdas(augment, 10), lams[:10])  # seeded by numpy


def test_alpha_defaults_to_the_references_0_2_and_is_checked():
    assert BalancedMixUp().alpha == 0.2
    assert BATCH_AUGMENTS.build(dict(type='BalancedMixUp')).alpha == 0.2
    with pytest.raises(ValueError, match='alpha'):
        BalancedMixUp(alpha=0.0)


@pytest.mark.parametrize('batch_augments', [
    dict(augments=dict(type='BalancedMixUp'), probs=0.5),
    dict(augments=[dict(
        type='BalancedMixUp'), dict(type='Mixup', alpha=1.0)]),
])
def test_preprocessor_refuses_balanced_mixup_that_may_skip_a_batch(batch_augments):
    with pytest.raises(
            ValueError,
            match='BalancedMixUp must be the only batch augment and run '
            "on every batch.*augments=dict\\(type='BalancedMixUp', alpha=0.2\\)"):
        MODELS.build(
            dict(
                type='PairedBatchClsDataPreprocessor', num_classes=4,
                batch_augments=batch_augments))


def test_preprocessor_takes_balanced_mixup_at_probability_one_and_other_augments():
    always = MODELS.build(
        dict(
            type='PairedBatchClsDataPreprocessor',
            num_classes=4,
            batch_augments=dict(augments=dict(type='BalancedMixUp'), probs=1.0)))
    assert isinstance(always.batch_augments.augments[0], BalancedMixUp)
    MODELS.build(
        dict(
            type='PairedBatchClsDataPreprocessor',
            num_classes=4,
            batch_augments=dict(augments=dict(type='Mixup', alpha=1.0), probs=0.5)))


def _paired_batch(b=3, num_classes=4, seed=0):
    gen = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, num_classes, (2 * b, ), generator=gen)
    inputs = torch.cat([torch.zeros(b, 3, 2, 2), torch.full((b, 3, 2, 2), 10.0)]).to(torch.uint8)
    samples = [
        DataSample(metainfo=dict(sample_idx=i)).set_gt_label(int(labels[i])) for i in range(2 * b)
    ]
    return dict(inputs=inputs, data_samples=samples), labels


def _preprocessor(**kwargs):
    return MODELS.build(
        dict(
            type='PairedBatchClsDataPreprocessor',
            num_classes=4,
            batch_augments=dict(augments=dict(type='BalancedMixUp', alpha=0.2)),
            **kwargs))


def test_preprocessor_returns_b_images_with_b_consistent_samples_and_scores():
    preprocessor = _preprocessor()
    assert isinstance(preprocessor, PairedBatchClsDataPreprocessor)
    data, labels = _paired_batch()
    np.random.seed(1)
    out = preprocessor(data, training=True)
    inputs, samples = out['inputs'], out['data_samples']
    assert inputs.shape == (3, 3, 2, 2) and len(samples) == 3
    lam = float(inputs[0, 0, 0, 0]) / 10.0  # instance pixels 0, balanced pixels 10
    assert 0 < lam < 1
    onehot = F.one_hot(labels, 4).float()
    for i, sample in enumerate(samples):
        assert sample.metainfo['sample_idx'] == i and int(sample.gt_label) == int(labels[i])
        torch.testing.assert_close(sample.gt_score, (1 - lam) * onehot[i] + lam * onehot[3 + i])
    # the head stacks one score per image
    assert torch.stack([s.gt_score for s in samples]).shape == (3, 4)


def test_preprocessor_leaves_validation_batches_whole():
    data, _ = _paired_batch()
    out = _preprocessor()(data, training=False)
    assert out['inputs'].shape[0] == len(out['data_samples']) == 6


def test_plain_cls_preprocessor_would_hand_the_head_unscored_samples():
    """Why the paired pre-processor exists: mmpretrain's keeps all 2B samples."""
    plain = MODELS.build(
        dict(
            type='ClsDataPreprocessor',
            num_classes=4,
            batch_augments=dict(augments=dict(type='BalancedMixUp'))))
    data, _ = _paired_batch()
    out = plain(data, training=True)
    assert out['inputs'].shape[0] == 3 and len(out['data_samples']) == 6
    assert 'gt_score' not in out['data_samples'][5]


def test_head_loss_is_the_references_soft_label_cross_entropy():
    head = MODELS.build(
        dict(
            type='LinearClsHead',
            num_classes=4,
            in_channels=5,
            loss=dict(type='CrossEntropyLoss', use_soft=True, loss_weight=1.0)))
    data, _ = _paired_batch()
    np.random.seed(2)
    samples = _preprocessor()(data, training=True)['data_samples']
    feats = torch.randn(3, 5, generator=torch.Generator().manual_seed(3))
    loss = head.loss((feats, ), samples)['loss']
    logits = head.fc(feats)
    target = torch.stack([s.gt_score for s in samples])
    reference = -(logits.log_softmax(dim=-1) * target).sum(dim=-1).mean()  # train_lt_mxp.py
    torch.testing.assert_close(loss, reference)


def test_config_check_wants_the_three_parts_together():
    cfg = Config.fromfile(FMNIST)
    check_config(cfg)
    no_sampler = copy.deepcopy(cfg)
    no_sampler.train_dataloader.pop('batch_sampler')
    with pytest.raises(ValueError, match='only BalancedMixUpBatchSampler provides'):
        check_config(no_sampler)
    plain = copy.deepcopy(cfg)
    plain.data_preprocessor.type = 'ClsDataPreprocessor'
    with pytest.raises(ValueError, match="data_preprocessor.type is 'ClsDataPreprocessor'"):
        check_config(plain)
    no_mixup = copy.deepcopy(cfg)
    no_mixup.data_preprocessor.pop('batch_augments')
    with pytest.raises(ValueError, match='only the BalancedMixUp batch augment consumes'):
        check_config(no_mixup)
