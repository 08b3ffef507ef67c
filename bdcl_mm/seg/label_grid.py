"""Ground-truth labels on a feature grid, consistent with how mmseg trains the logits (pure torch).

mmseg upsamples ``(h, w)`` logits to the ``(H, W)`` labels bilinearly with
``align_corners=False``. Under that convention cell ``(i, j)`` of the grid covers the pixels whose
centres fall inside it, i.e. pixel row ``Y`` belongs to cell row ``floor((Y + 0.5) * h / H)`` (and
likewise for columns). The label of a cell is the majority label of the pixels it covers, so a
small nodule keeps its outline on a coarse grid (``mode='nearest'`` takes each cell's top-left
pixel, which shifts the nodule by half a cell and drops boundary cells). Used for the pixel
contrast of BDCL (ICASSP 2024), whose embeddings live on the feature grid.
"""
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor


def _cell_of(pixels: int, cells: int, device: torch.device) -> Tensor:
    """``(pixels,)`` int64 cell index of each pixel centre (``align_corners=False``)."""
    centre = torch.arange(pixels, device=device, dtype=torch.float64) + 0.5
    return (centre * cells / pixels).floor().long().clamp(max=cells - 1)


def labels_to_grid(labels: Tensor, size: Sequence[int], num_classes: int,
                   ignore_index: int = 255) -> Tensor:
    """Map label maps to a feature grid by each cell's majority label.

    Every pixel votes for the cell that contains its centre; pixels labelled ``ignore_index`` vote
    for ``ignore_index``. Ties go to the smallest class index, and a real class wins a tie with
    ``ignore_index``. A grid finer than the labels along an axis (no pixel per cell) takes the
    label of the pixel under each cell centre (``'nearest-exact'``).

    Args:
        labels (Tensor): ``(B, H, W)`` or ``(B, 1, H, W)`` int labels in ``[0, C)`` or
            ``ignore_index``.
        size (Sequence[int]): ``(h, w)`` of the feature grid.
        num_classes (int): ``C``.
        ignore_index (int): label of pixels without a class.

    Returns:
        Tensor: ``(B, h, w)`` int64 labels.
    """
    if labels.dim() == 4 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if labels.dim() != 3:
        raise ValueError(f'labels must have shape (B, H, W) or (B, 1, H, W), got '
                         f'{tuple(labels.shape)}')
    labels = labels.long()
    (height, width), (h, w) = labels.shape[1:], tuple(int(s) for s in size)
    if (height, width) == (h, w):
        return labels
    if h > height or w > width:
        resized = F.interpolate(labels[:, None].float(), size=(h, w), mode='nearest-exact')
        return resized[:, 0].long()
    valid = labels != ignore_index
    bad = valid & ((labels < 0) | (labels >= num_classes))
    if bad.any():
        raise ValueError(f'labels must lie in [0, {num_classes}) or equal ignore_index='
                         f'{ignore_index}; found {sorted(labels[bad].unique().tolist())}')
    batch, device = labels.shape[0], labels.device
    votes = torch.where(valid, labels, torch.full_like(labels, num_classes))  # ignore: last slot
    cell = (_cell_of(height, h, device)[:, None] * w + _cell_of(width, w, device)[None, :])
    cell = cell[None] + torch.arange(batch, device=device)[:, None, None] * (h * w)
    counts = torch.bincount((cell * (num_classes + 1) + votes).reshape(-1),
                            minlength=batch * h * w * (num_classes + 1))
    winner = counts.view(batch, h, w, num_classes + 1).argmax(dim=-1)
    return torch.where(winner == num_classes, torch.full_like(winner, ignore_index), winner)
