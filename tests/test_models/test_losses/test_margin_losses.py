"""LDAM, DRW and GCL against loop references of the kaidic/LDAM-DRW and Keke921/GCLLoss losses."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import MODELS

from bdcl_mm.models.losses import (GCLLoss, LDAMLoss, effective_number_weights, gcl_loss,
                                   gcl_noise_scale, ldam_loss, ldam_margins, sample_gcl_noise)


def _reference_margins(counts, max_m=0.5):
    m = 1.0 / np.sqrt(np.sqrt(np.asarray(counts, dtype=np.float64)))
    return m * (max_m / np.max(m))


def _loop_margin_ce(cos, target, margins, s, weight=None, focal_gamma=None):
    """One sample at a time, as the references' forward: margin on the target, CE(s * out)."""
    losses, weights = [], []
    for i in range(cos.shape[0]):
        out = cos[i].clone()
        out[target[i]] = out[target[i]] - margins[target[i]]
        logits = s * out
        ce = -(logits[target[i]] - torch.logsumexp(logits, 0))
        w = 1.0 if weight is None else weight[target[i]]
        losses.append(w * ce)
        weights.append(w)
    losses = torch.stack(losses)
    if focal_gamma is None:
        return losses.sum() / sum(weights)
    p = torch.exp(-losses.detach())
    return ((1 - p)**focal_gamma * losses).mean()


def test_worked_margins_and_reference_formula():
    assert ldam_margins([0.92, 0.05, 0.03]).tolist() == pytest.approx([0.212, 0.440, 0.500],
                                                                       abs=5e-4)
    counts = [5000, 2997, 1796, 1077, 645, 387, 232, 139, 83, 50]
    assert ldam_margins(counts, 0.5).numpy() == pytest.approx(_reference_margins(counts), rel=1e-6)
    assert ldam_margins(counts, 0.3).max().item() == pytest.approx(0.3)


def test_effective_number_weights_match_the_reference_and_are_uniform_at_pixel_counts():
    counts = np.array([5000, 500, 50])
    beta = 0.9999
    ref = (1 - beta) / (1 - np.power(beta, counts))
    ref = ref / ref.sum() * len(counts)
    assert effective_number_weights(counts, beta).numpy() == pytest.approx(ref, rel=1e-5)
    assert effective_number_weights(counts, 0.0).tolist() == [1.0, 1.0, 1.0]
    # at pixel counts beta^n underflows: exactly uniform
    pixels = effective_number_weights([9.2e7, 5e6, 3e6], beta)
    assert pixels.tolist() == pytest.approx([1.0, 1.0, 1.0], abs=1e-6)


@pytest.mark.parametrize('weighted', [False, True])
def test_ldam_loss_and_gradient_match_a_loop_reference(weighted):
    g = torch.Generator().manual_seed(0)
    counts = [300, 40, 7, 90]
    cos = torch.empty(16, 4).uniform_(-1, 1, generator=g).requires_grad_()
    target = torch.randint(0, 4, (16, ), generator=g)
    margins = ldam_margins(counts)
    weight = effective_number_weights(counts, 0.999) if weighted else None
    loss = ldam_loss(cos, target, margins, 30.0, weight)
    cos_ref = cos.detach().clone().requires_grad_()
    ref = _loop_margin_ce(cos_ref, target, margins, 30.0, weight)
    # the reference's vectorised form (F.cross_entropy with weight)
    index = F.one_hot(target, 4).bool()
    out = torch.where(index, cos.detach() - margins[target][:, None], cos.detach())
    assert F.cross_entropy(30 * out, target, weight=weight).item() == pytest.approx(ref.item(),
                                                                                    rel=1e-5)
    assert loss.item() == pytest.approx(ref.item(), rel=1e-5)
    loss.backward()
    ref.backward()
    torch.testing.assert_close(cos.grad, cos_ref.grad, rtol=1e-4, atol=1e-6)


def test_ldam_pixels_ignore_index_and_soft_targets():
    g = torch.Generator().manual_seed(1)
    counts = [900, 60, 40]
    margins = ldam_margins(counts)
    cos = torch.empty(2, 3, 5, 6).uniform_(-1, 1, generator=g)
    label = torch.randint(0, 3, (2, 5, 6), generator=g)
    label[0, :2] = 255
    flat = cos.permute(0, 2, 3, 1).reshape(-1, 3)
    keep = label.reshape(-1) != 255
    ref = _loop_margin_ce(flat[keep], label.reshape(-1)[keep], margins, 30.0)
    assert ldam_loss(cos, label, margins, ignore_index=255).item() == pytest.approx(ref.item(),
                                                                                    rel=1e-5)
    # soft (mixup) target lam * a + (1 - lam) * b: the reference's mixup criterion per sample
    cos2 = torch.empty(6, 3).uniform_(-1, 1, generator=g)
    a, b, lam = torch.tensor([0, 1, 2, 0, 1, 2]), torch.tensor([2, 2, 0, 1, 0, 1]), 0.3
    soft = lam * F.one_hot(a, 3).float() + (1 - lam) * F.one_hot(b, 3).float()
    mixed = lam * _loop_margin_ce(cos2, a, margins, 30.0) + (1 - lam) * _loop_margin_ce(
        cos2, b, margins, 30.0)
    assert ldam_loss(cos2, soft, margins).item() == pytest.approx(mixed.item(), rel=1e-5)


def _loop_gcl(cos, target, counts, noise, m, s, noise_mul, gamma):
    """Keke921/GCLLoss GCLLoss.forward with the noise given, one sample at a time."""
    m_list = torch.log(torch.tensor(counts, dtype=torch.float32))
    m_list = m_list.max() - m_list
    clouded = cos - noise_mul * noise.abs() / m_list.max() * m_list
    return _loop_margin_ce(clouded, target, torch.full((cos.shape[1], ), m), s,
                           focal_gamma=gamma)


@pytest.mark.parametrize('stage', ['stage1', 'stage2'])
def test_gcl_loss_and_gradient_match_a_loop_reference(stage):
    m, s, gamma = (0.0, 30.0, None) if stage == 'stage1' else (0.1, 20.0, 1.0)
    g = torch.Generator().manual_seed(2)
    counts = [500, 120, 30, 5]
    cos = torch.empty(12, 4).uniform_(-1, 1, generator=g).requires_grad_()
    target = torch.randint(0, 4, (12, ), generator=g)
    noise = sample_gcl_noise((12, 4), generator=g)
    loss = gcl_loss(cos, target, gcl_noise_scale(counts), noise, m, s, 0.5, focal_gamma=gamma)
    cos_ref = cos.detach().clone().requires_grad_()
    ref = _loop_gcl(cos_ref, target, counts, noise, m, s, 0.5, gamma)
    assert loss.item() == pytest.approx(ref.item(), rel=1e-5)
    loss.backward()
    ref.backward()
    torch.testing.assert_close(cos.grad, cos_ref.grad, rtol=1e-4, atol=1e-6)


def test_gcl_module_draws_its_noise_from_the_global_generator():
    counts = [500, 120, 30, 5]
    loss = GCLLoss(class_counts=counts, m=0.1, s=20.0, gamma=1.0)
    cos = torch.rand(8, 4) * 2 - 1
    target = torch.tensor([0, 1, 2, 3, 3, 2, 1, 0])
    torch.manual_seed(5)
    value = loss(cos, target)
    torch.manual_seed(5)
    noise = sample_gcl_noise((8, 4))
    assert value.item() == pytest.approx(
        _loop_gcl(cos, target, counts, noise, 0.1, 20.0, 0.5, 1.0).item(), rel=1e-5)
    assert loss(cos, target).item() != value.item()  # a fresh draw each call


def test_gcl_noise_statistics_and_no_noise_for_the_head_class():
    g = torch.Generator().manual_seed(3)
    noise = sample_gcl_noise((400_000, ), generator=g)
    # |N(0, 1/3)|: mean sqrt(2/pi)/3, std sqrt(1 - 2/pi)/3 (clamp at 3 sigma: < 1% change)
    assert noise.mean().item() == pytest.approx(math.sqrt(2 / math.pi) / 3, rel=0.01)
    assert noise.std().item() == pytest.approx(math.sqrt(1 - 2 / math.pi) / 3, rel=0.01)
    assert noise.min().item() >= 0 and noise.max().item() <= 1.0
    scale = gcl_noise_scale([50, 800, 200, 10])
    assert scale[1].item() == 0.0 and scale[3].item() == 1.0
    # the head class's logit is never perturbed: its gradient does not depend on the noise
    cos = torch.zeros(4, 4, requires_grad=True)
    target = torch.tensor([1, 1, 1, 1])
    big = torch.ones(4, 4)
    logits_a = gcl_loss(cos, target, scale, big * 0, 0.0, 30.0, 0.5)
    logits_b = gcl_loss(cos, target, scale, big, 0.0, 30.0, 0.5)
    assert logits_b.item() < logits_a.item()  # the other columns were pushed down
    assert gcl_noise_scale([7, 7, 7]).tolist() == [0.0, 0.0, 0.0]


def test_modules_build_from_the_root_registry_and_carry_their_state():
    ldam = MODELS.build(dict(type='LDAMLoss', num_classes=3))
    assert not ldam.has_class_counts and ldam.loss_name == 'loss_ldam'
    with pytest.raises(ValueError, match='ClassCountsHook'):
        ldam(torch.zeros(2, 3), torch.tensor([0, 1]))
    ldam.set_class_counts([92, 5, 3])
    ldam.set_class_weight(effective_number_weights([92, 5, 3], 0.99))
    fresh = LDAMLoss()
    fresh.load_state_dict(ldam.state_dict())
    assert fresh.margins.tolist() == pytest.approx([0.212, 0.440, 0.500], abs=5e-4)
    torch.testing.assert_close(fresh.class_weight, ldam.class_weight)
    assert set(ldam.state_dict()) == {'class_counts', 'class_weight', 'class_terms'}
    gcl = MODELS.build(dict(type='GCLLoss', class_counts=[10, 5], m=0.1, s=20, gamma=1.0))
    assert gcl.noise_scale.tolist() == [0.0, 1.0] and gcl.gamma == 1.0


def test_misuse_errors():
    with pytest.raises(ValueError, match='cosine logits'):
        ldam_loss(torch.full((2, 3), 4.0), torch.tensor([0, 1]), ldam_margins([3, 2, 1]))
    with pytest.raises(ValueError, match='cosine logits'):
        GCLLoss(class_counts=[3, 2, 1])(torch.full((2, 3), -7.0), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match='positive and finite'):
        LDAMLoss(class_counts=[10, 0, 3])
    with pytest.raises(ValueError, match='num_classes=4'):
        LDAMLoss(num_classes=4, class_counts=[1, 2, 3])
    loss = LDAMLoss(class_counts=[1, 2, 3])
    with pytest.raises(ValueError, match='logits have 2 classes'):
        loss(torch.zeros(2, 2), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match='per-element weights'):
        loss(torch.zeros(2, 3), torch.tensor([0, 1]), weight=torch.ones(2))
    with pytest.raises(ValueError, match='outside'):
        loss(torch.zeros(2, 3), torch.tensor([0, 5]))
    with pytest.raises(ValueError, match='beta'):
        effective_number_weights([1, 2], 1.0)
    with pytest.raises(ValueError, match='loss_name'):
        LDAMLoss(loss_name='ldam')


def test_float32_inside_for_half_inputs():
    margins = ldam_margins([10, 3])
    cos = torch.tensor([[0.5, -0.2], [0.1, 0.9]], dtype=torch.float16)
    loss = ldam_loss(cos, torch.tensor([0, 1]), margins)
    assert loss.dtype == torch.float32 and torch.isfinite(loss)
