"""labels_to_grid: each feature cell gets the majority label of the pixels it covers."""
import pytest
import torch
import torch.nn.functional as F

from bdcl_mm.seg import labels_to_grid


def brute_force_majority(labels, size, num_classes, ignore_index=255):
    """Per cell, the most frequent label among the pixels whose centres lie in the cell, and
    whether that majority is strict (no tie)."""
    height, width = labels.shape[-2:]
    h, w = size
    out = torch.empty(h, w, dtype=torch.long)
    strict = torch.empty(h, w, dtype=torch.bool)
    rows = [int((y + 0.5) * h / height) for y in range(height)]
    cols = [int((x + 0.5) * w / width) for x in range(width)]
    for i in range(h):
        for j in range(w):
            ys = [y for y in range(height) if rows[y] == i]
            xs = [x for x in range(width) if cols[x] == j]
            cell = labels[ys][:, xs].reshape(-1)
            votes = torch.bincount(torch.where(cell == ignore_index, num_classes, cell),
                                   minlength=num_classes + 1)
            out[i, j] = votes.argmax()
            strict[i, j] = (votes == votes.max()).sum() == 1
    return torch.where(out == num_classes, ignore_index, out), strict


def nodule(size=64, centre=(29.3, 35.7), radius=12.0):
    yy, xx = torch.meshgrid(torch.arange(size) + 0.5, torch.arange(size) + 0.5, indexing='ij')
    label = torch.zeros(size, size, dtype=torch.long)
    label[(yy - centre[0])**2 + (xx - centre[1])**2 <= radius**2] = 2
    return label


@pytest.mark.parametrize('stride', [4, 8])  # the 1/4 maps of HRNet / DeepLabV3+ / SegFormer, 1/8
def test_small_nodule_matches_the_cell_majority_where_nearest_does_not(stride):
    label = nodule()
    grid = (64 // stride, 64 // stride)
    majority, strict = brute_force_majority(label, grid, 3)
    # cells holding nodule pixels, with a strict majority
    touched = F.max_pool2d((label == 2).float()[None, None], stride)[0, 0].bool() & strict
    ours = labels_to_grid(label[None], grid, 3)[0]
    nearest = F.interpolate(label[None, None].float(), size=grid, mode='nearest')[0, 0].long()
    assert touched.sum() >= 10
    ours_wrong = (ours != majority)[touched].float().mean().item()
    nearest_wrong = (nearest != majority)[touched].float().mean().item()
    assert ours_wrong == 0.0
    assert nearest_wrong > 0.15  # 16% of the cells at stride 4, 27% at stride 8
    assert torch.equal(ours[strict], majority[strict])


@pytest.mark.parametrize('shape,grid', [((60, 44), (16, 12)), ((64, 64), (8, 8)),
                                        ((37, 53), (10, 13))])
def test_any_grid_equals_brute_force_majority_with_ignore(shape, grid):
    gen = torch.Generator().manual_seed(0)
    coarse = torch.randint(0, 3, (1, 1, 5, 7), generator=gen).float()
    label = F.interpolate(coarse, size=shape, mode='nearest')[0, 0].long()
    label[: shape[0] // 5] = 255
    label[torch.rand(shape, generator=gen) < 0.1] = 1
    majority, strict = brute_force_majority(label, grid, 3)
    ours = labels_to_grid(label[None, None], grid, 3)[0]
    assert torch.equal(ours[strict], majority[strict])


def test_ties_prefer_a_class_over_ignore_and_same_size_is_identity():
    assert labels_to_grid(torch.tensor([[[0, 255], [0, 255]]]), (1, 1), 3).item() == 0
    assert labels_to_grid(torch.tensor([[[2, 255], [1, 255]]]), (1, 1), 3).item() == 255
    assert labels_to_grid(torch.tensor([[[2, 1], [1, 2]]]), (1, 1), 3).item() == 1
    label = torch.tensor([[[0, 255], [1, 255]]])
    assert torch.equal(labels_to_grid(label, (2, 2), 3), label)
    finer = labels_to_grid(torch.tensor([[[0, 1], [2, 1]]]), (4, 4), 3)
    assert torch.equal(finer[0, :2, :2], torch.zeros(2, 2, dtype=torch.long))


def test_out_of_range_label_is_an_error():
    with pytest.raises(ValueError, match=r'\[0, 3\) or equal ignore_index=255; found \[7\]'):
        labels_to_grid(torch.full((1, 8, 8), 7), (2, 2), 3)
