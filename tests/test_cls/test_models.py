"""Stage-1 model pieces: multi-view pre-processor, BDCL head, classifier, cRT head."""
import pytest
import torch
from mmengine.dataset import default_collate, pseudo_collate
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import bdcl_mm.cls  # noqa: F401
from bdcl_mm.cls.models import split_views


def tiny_classifier(**head):
    head_cfg = dict(
        type='BDCLClsHead',
        num_classes=3,
        in_channels=32,
        proj_channels=(16, 8),
        loss_contrast=dict(type='BDCLLoss'))
    head_cfg.update(head)
    return MODELS.build(
        dict(
            type='BDCLImageClassifier',
            backbone=dict(type='ResNet_CIFAR', depth=18, stem_channels=4, base_channels=4),
            neck=dict(type='GlobalAveragePooling'),
            head=head_cfg,
            data_preprocessor=dict(mean=[0, 0, 0], std=[255, 255, 255], to_rgb=True)))


def packed_items(num_items=4, num_views=2, size=8):
    items = []
    for i in range(num_items):
        views = [
            torch.randint(0, 256, (3, size, size), dtype=torch.uint8) for _ in range(num_views)
        ]
        items.append(dict(inputs=views, data_samples=DataSample().set_gt_label(i % 3)))
    return items


@pytest.mark.parametrize('collate', [default_collate, pseudo_collate])
def test_preprocessor_normalises_each_view(collate):
    model = tiny_classifier()
    items = packed_items()
    data = model.data_preprocessor(collate(items), training=True)
    assert isinstance(data['inputs'], list) and len(data['inputs']) == 2
    for v, view in enumerate(data['inputs']):
        assert view.shape == (4, 3, 8, 8) and view.dtype == torch.float32
        expected = torch.stack([item['inputs'][v] for item in items]).flip(1).float() / 255
        torch.testing.assert_close(view, expected)
    assert [int(s.gt_label) for s in data['data_samples']] == [0, 1, 2, 0]
    single = model.data_preprocessor(
        pseudo_collate(
            [dict(inputs=item['inputs'][0], data_samples=item['data_samples']) for item in items]))
    assert single['inputs'].shape == (4, 3, 8, 8)
    assert split_views(torch.zeros(2, 3, 4, 4)) is None


def test_loss_trains_projector_and_classifier_on_detached_features():
    torch.manual_seed(0)
    model = tiny_classifier()
    model.train()
    data = model.data_preprocessor(pseudo_collate(packed_items()), training=True)
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_bdcl', 'loss_cls'}
    assert torch.isfinite(losses['loss_bdcl']) and losses['loss_cls'] > 0

    losses['loss_cls'].backward()
    assert model.head.classifier.weight.grad.abs().sum() > 0
    assert all(p.grad is None for p in model.backbone.parameters())  # CE is detached
    model.zero_grad(set_to_none=True)
    losses = model(**data, mode='loss')
    losses['loss_bdcl'].backward()
    assert model.backbone.conv1.weight.grad.abs().sum() > 0
    assert model.head.classifier.weight.grad is None


def test_predict_tensor_modes_and_views():
    model = tiny_classifier().eval()
    data = model.data_preprocessor(pseudo_collate(packed_items(num_items=5)), training=False)
    with torch.no_grad():
        predictions = model(**data, mode='predict')
        logits = model(data['inputs'], mode='tensor')
    assert len(predictions) == 5 and isinstance(predictions[0], DataSample)
    assert predictions[0].pred_score.shape == (3, )
    assert logits.shape == (10, 3)  # both views, view-major
    expected = logits[:5].softmax(dim=1)
    torch.testing.assert_close(torch.stack([p.pred_score for p in predictions]), expected)


def test_hard_examples_from_prototypes():
    model = tiny_classifier(hard_from='prototype')
    head = model.head
    logits = torch.zeros(4, 3)
    embeddings = torch.tensor([[1., 0, 0, 0, 0, 0, 0, 0], [0, 1., 0, 0, 0, 0, 0, 0],
                               [0, 0, 1., 0, 0, 0, 0, 0], [1., .5, 0, 0, 0, 0, 0, 0]])
    assert head._hard_preds(logits, embeddings) is None  # no prototype yet
    head.loss_contrast.prototypes.zero_()
    head.loss_contrast.prototypes[0, 1] = 1.0
    head.loss_contrast.prototypes[2, 0] = 1.0
    head.loss_contrast.prototype_valid[:] = torch.tensor([True, False, True])
    assert head._hard_preds(logits, embeddings).tolist() == [2, 0, 0, 2]
    with pytest.raises(ValueError, match='hard_from'):
        tiny_classifier(hard_from='oracle')


def test_head_fills_contrast_sizes_and_rejects_conflicts():
    model = tiny_classifier()
    assert model.head.loss_contrast.prototypes.shape == (3, 8)
    with pytest.raises(ValueError, match='feat_dim'):
        tiny_classifier(loss_contrast=dict(type='BDCLLoss', feat_dim=4))


def test_every_class_of_a_large_label_set_enters_the_contrast():
    """Class 255 of a 300-class set is a class, not the segmentation ignore label."""
    model = tiny_classifier(num_classes=300)
    assert model.head.loss_contrast.ignore_index is None
    model.train()
    loss = model.head.loss_contrast
    loss.statistics_consumer_attached = True
    feats = (torch.randn(8, 32), )
    samples = [DataSample().set_gt_label(label) for label in (255, 255, 7, 7)]
    model.head.loss(feats, samples)
    stats = loss.pop_statistics()
    assert stats.feat_count[255] == 4 and stats.anchor_count[255] == 4  # 2 images x 2 views
    kept = tiny_classifier(num_classes=300, loss_contrast=dict(type='BDCLLoss', ignore_index=255))
    assert kept.head.loss_contrast.ignore_index == 255  # an explicit value is kept


def test_crt_head_keys_do_not_collide_with_stage1_heads():
    crt = MODELS.build(dict(type='CRTClsHead', num_classes=3, in_channels=32))
    linear = MODELS.build(dict(type='LinearClsHead', num_classes=3, in_channels=32))
    stage1 = tiny_classifier().head
    assert set(crt.state_dict()) == {'crt_fc.weight', 'crt_fc.bias'}
    assert not set(crt.state_dict()) & (set(linear.state_dict()) | set(stage1.state_dict()))
    feats = (torch.randn(2, 32), )
    torch.testing.assert_close(crt(feats), crt.crt_fc(feats[0]))
