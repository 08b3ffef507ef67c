"""SoftIoU maths: the smp peer, a loop reference with gradients, ignore masking, dtypes, errors."""
import pytest
import torch
from segmentation_models_pytorch.losses import JaccardLoss

from bdcl_mm.models.losses import soft_iou_loss


def _batch(seed, n=2, c=4, h=5, w=6, ignore_frac=0.2, absent=None):
    gen = torch.Generator().manual_seed(seed)
    logits = torch.randn(n, c, h, w, generator=gen, dtype=torch.float64) * 3
    target = torch.randint(0, c, (n, h, w), generator=gen)
    if absent is not None:
        target[target == absent] = (absent + 1) % c
    target[torch.rand(n, h, w, generator=gen) < ignore_frac] = 255
    return logits, target


def _loop_reference(logits, target, ignore_index=255, smooth=0.0, eps=1e-7):
    """The formula written out pixel by pixel, in float64."""
    probs = torch.softmax(logits.double(), dim=1)
    n, c = logits.shape[:2]
    total = logits.new_zeros((), dtype=torch.float64)
    for cls in range(c):
        inter = union = labelled = 0.0
        for i in range(n):
            for y in range(target.shape[1]):
                for x in range(target.shape[2]):
                    label = int(target[i, y, x])
                    if label == ignore_index:
                        continue
                    p = probs[i, cls, y, x]
                    g = 1.0 if label == cls else 0.0
                    inter = inter + p * g
                    union = union + p + g - p * g
                    labelled += g
        if labelled > 0:
            score = (inter + smooth) / max(union + smooth, torch.tensor(eps, dtype=torch.float64))
            total = total + (1 - score)
    return total / c


@pytest.mark.parametrize('seed', range(4))
@pytest.mark.parametrize('absent', [None, 2])
def test_equals_smp_jaccard_loss_values_and_gradients(seed, absent):
    logits, target = _batch(seed, absent=absent)
    ours_in = logits.float().requires_grad_()
    peer_in = logits.float().requires_grad_()
    ours = soft_iou_loss(ours_in, target, ignore_index=255)
    peer = JaccardLoss('multiclass', from_logits=True, ignore_index=255)(peer_in, target)
    ours.backward()
    peer.backward()
    torch.testing.assert_close(ours, peer, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(ours_in.grad, peer_in.grad, rtol=1e-4, atol=1e-7)


def test_equals_smp_with_smoothing():
    logits, target = _batch(7)
    ours = soft_iou_loss(logits.float(), target, smooth=1.0, eps=1e-5)
    peer = JaccardLoss('multiclass', from_logits=True, ignore_index=255, smooth=1.0,
                       eps=1e-5)(logits.float(), target)
    torch.testing.assert_close(ours, peer, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('absent', [None, 1])
def test_loop_reference_values_and_gradients(absent):
    logits, target = _batch(3, n=2, c=3, h=3, w=4, absent=absent)
    ours_in = logits.clone().requires_grad_()
    ref_in = logits.clone().requires_grad_()
    ours = soft_iou_loss(ours_in, target)
    ref = _loop_reference(ref_in, target)
    ours.backward()
    ref.backward()
    torch.testing.assert_close(ours.double(), ref, rtol=1e-6, atol=1e-7)
    torch.testing.assert_close(ours_in.grad, ref_in.grad, rtol=1e-5, atol=1e-7)


def test_absent_class_adds_zero_but_counts_in_the_mean():
    # one image, 2 pixels of class 0, classes 1 and 2 absent: L = (1 - J_0) / 3
    logits = torch.tensor([[[[2.0, 0.0]], [[0.0, 1.0]], [[0.0, 0.0]]]])
    target = torch.zeros(1, 1, 2, dtype=torch.long)
    p0 = torch.softmax(logits, dim=1)[0, 0, 0]
    expected = (1 - p0.sum() / 2) / 3  # union = sum(p0) + 2 - sum(p0) = 2
    torch.testing.assert_close(soft_iou_loss(logits, target), expected)


def test_ignored_pixels_change_nothing_and_get_no_gradient():
    logits, target = _batch(5, ignore_frac=0.4)
    ignored = (target == 255).unsqueeze(1).expand_as(logits)
    changed = logits.clone()
    changed[ignored] = torch.randn(int(ignored.sum()), dtype=torch.float64) * 10
    changed.requires_grad_()
    torch.testing.assert_close(soft_iou_loss(changed, target), soft_iou_loss(logits, target))
    soft_iou_loss(changed, target).backward()
    assert changed.grad[ignored].abs().max() == 0
    assert changed.grad[~ignored].abs().max() > 0


def test_custom_ignore_index_and_zero_weight_equal_masking():
    logits, target = _batch(6, ignore_frac=0.3)
    masked = target.clone()
    masked[target == 255] = -1
    torch.testing.assert_close(soft_iou_loss(logits, masked, ignore_index=-1),
                               soft_iou_loss(logits, target))
    filled = target.clone()
    filled[target == 255] = 0
    weight = (target != 255).double()
    torch.testing.assert_close(soft_iou_loss(logits, filled, weight=weight),
                               soft_iou_loss(logits, target))


def test_all_ignored_gives_connected_zero():
    logits = torch.randn(1, 3, 2, 2, requires_grad=True)
    loss = soft_iou_loss(logits, torch.full((1, 2, 2), 255))
    assert loss.item() == 0 and loss.requires_grad
    loss.backward()
    assert torch.isfinite(logits.grad).all()


def test_perfect_prediction_gives_zero_loss():
    target = torch.tensor([[[0, 1], [2, 1]]])
    logits = torch.nn.functional.one_hot(target, 3).permute(0, 3, 1, 2).float() * 60
    assert soft_iou_loss(logits, target).item() == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize('dtype', [torch.float16, torch.bfloat16, torch.float32, torch.float64])
def test_float32_result_for_every_dtype(dtype):
    logits, target = _batch(8)
    low = logits.to(dtype)
    loss = soft_iou_loss(low, target)
    assert loss.dtype == torch.float32 and torch.isfinite(loss)
    torch.testing.assert_close(loss, soft_iou_loss(low.float(), target))
    low.requires_grad_()
    soft_iou_loss(low, target).backward()
    assert low.grad.dtype == dtype and torch.isfinite(low.grad.float()).all()


def test_3d_volumes_are_accepted():
    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(1, 3, 2, 3, 4, generator=gen)
    target = torch.randint(0, 3, (1, 2, 3, 4), generator=gen)
    peer = JaccardLoss('multiclass', from_logits=True)(logits, target)
    torch.testing.assert_close(soft_iou_loss(logits, target), peer, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('target, weight, match', [
    (torch.zeros(2, 5, 5, dtype=torch.long), None, 'shape without the class dimension'),
    (torch.zeros(2, 4, 4), None, 'integer class indices'),
    (torch.full((2, 4, 4), 3), None, r'outside \[0, 3\)'),
    (torch.zeros(2, 4, 4, dtype=torch.long), torch.ones(2, 4), 'weight must have'),
    (torch.zeros(2, 4, 4, dtype=torch.long), -torch.ones(2, 4, 4), 'non-negative'),
])
def test_bad_input_is_refused(target, weight, match):
    with pytest.raises(ValueError, match=match):
        soft_iou_loss(torch.zeros(2, 3, 4, 4), target, weight=weight)
