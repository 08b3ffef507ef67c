"""Dice and surface distances (HD95, ASSD) of binary masks, in numpy / scipy (no host import).

For a predicted mask ``P`` and a ground-truth mask ``G`` of one class in one image:

- surfaces: ``S(M) = M XOR erosion(M)``, the erosion by the 4-neighbour cross (the 2N-neighbour
  cross in N dimensions) with everything outside the image counted as background, so a mask
  pixel on the image border is a surface pixel;
- directed distances: ``d(p, S(G))`` for each surface pixel ``p`` of ``P``, Euclidean, from a
  distance transform of ``NOT S(G)`` (``scipy.ndimage.distance_transform_edt``) scaled by the
  pixel spacing; likewise ``d(g, S(P))`` for each surface pixel of ``G``;
- ``HD95 = max(q95{d(p, S(G))}, q95{d(g, S(P))})``, ``q95`` the 95th percentile with linear
  interpolation (``numpy.percentile``'s default, the same as ``torch.quantile``);
- ``ASSD`` = the mean of all distances of both directions together;
- ``Dice = 2 |P ∩ G| / (|P| + |G|)``.

These are the definitions of MONAI (``compute_hausdorff_distance(percentile=95)``,
``compute_average_surface_distance(symmetric=True)`` and ``compute_dice``, MONAI 1.6), whose
values they reproduce, including MONAI's values for empty masks:

========================  ======  ======  ======
case                      Dice    HD95    ASSD
========================  ======  ======  ======
both empty                NaN     NaN     NaN
prediction empty only     0       NaN     +inf
ground truth empty only   NaN     NaN     +inf
========================  ======  ======  ======

(MONAI's directed distances to an empty surface are ``+inf``; their mean is ``+inf``, and their
95th percentile by ``torch.quantile`` is NaN. Dice follows MONAI's default ``ignore_empty=True``.)
:class:`SurfaceScores` names the case, so a caller counts undefined images instead of averaging
them. The masks are cropped to the bounding box of ``P OR G`` before the distance transforms,
which changes no distance (every surface pixel lies in that box).
"""
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
from scipy.ndimage import distance_transform_edt

from bdcl_mm.utils import check_number

#: A pixel spacing: ``None`` (1 per axis), one number for every axis, or one number per axis.
Spacing = Union[None, float, Sequence[float]]

#: The values of :attr:`SurfaceScores.case`.
CASES = ('both', 'pred_empty', 'gt_empty', 'both_empty')


@dataclass(frozen=True)
class SurfaceScores:
    """Dice, HD95 and ASSD of one class in one image.

    Attributes:
        dice: ``2 |P ∩ G| / (|P| + |G|)``; NaN when the ground truth is empty.
        hd95: Symmetric 95th-percentile Hausdorff distance, in spacing units; NaN when a mask is
            empty.
        assd: Average symmetric surface distance, in spacing units; ``+inf`` when exactly one
            mask is empty, NaN when both are.
        pred_pixels: ``|P|``.
        gt_pixels: ``|G|``.
    """
    dice: float
    hd95: float
    assd: float
    pred_pixels: int
    gt_pixels: int

    @property
    def case(self) -> str:
        """``'both'`` (distances defined), ``'pred_empty'`` (a missed object),
        ``'gt_empty'`` (a false alarm) or ``'both_empty'`` (the class is absent)."""
        if self.pred_pixels and self.gt_pixels:
            return 'both'
        if self.gt_pixels:
            return 'pred_empty'
        return 'gt_empty' if self.pred_pixels else 'both_empty'


def _as_bool(mask, name: str) -> np.ndarray:
    if hasattr(mask, 'detach'):
        mask = mask.detach().cpu().numpy()
    mask = np.asarray(mask)
    if mask.ndim < 1:
        raise ValueError(f'{name} must be a mask with at least one axis, got a scalar.')
    return mask.astype(bool, copy=False)


def check_spacing(spacing: Spacing, ndim: int) -> Optional[Tuple[float, ...]]:
    """Validate a pixel spacing and expand it to one positive number per axis.

    Args:
        spacing: ``None``, one positive number, or ``ndim`` positive numbers (axis order of the
            array: rows first).
        ndim: Number of axes of the masks.

    Returns:
        ``None`` for ``None``, else a tuple of ``ndim`` floats.

    Raises:
        ValueError: If a value is not a finite positive number or the length is not ``ndim``.
    """
    if spacing is None:
        return None
    if hasattr(spacing, 'tolist'):
        spacing = spacing.tolist()
    values = list(spacing) if isinstance(spacing, (list, tuple)) else [spacing] * ndim
    if len(values) != ndim:
        raise ValueError(f'spacing must have one value per mask axis ({ndim}), got {spacing!r}.')
    return tuple(
        check_number(f'spacing[{i}]', v, minimum=0, include_minimum=False)
        for i, v in enumerate(values))


def mask_surface(mask: np.ndarray) -> np.ndarray:
    """Surface pixels of a binary mask: the mask XOR its erosion by the axis-neighbour cross.

    Args:
        mask (np.ndarray): Boolean mask of any shape ``(D1, ..., Dn)``.

    Returns:
        np.ndarray: Boolean array of the same shape; pixels outside the array count as
        background (``scipy.ndimage.binary_erosion`` with ``border_value=0``).
    """
    padded = np.pad(mask, 1, constant_values=False)
    eroded = mask.copy()
    centre = tuple(slice(1, -1) for _ in range(mask.ndim))
    for axis in range(mask.ndim):
        for start, stop in ((None, -2), (2, None)):
            shifted = list(centre)
            shifted[axis] = slice(start, stop)
            eroded &= padded[tuple(shifted)]
    return mask & ~eroded


def _bounding_box(mask: np.ndarray) -> Tuple[slice, ...]:
    box = []
    for axis in range(mask.ndim):
        other = tuple(a for a in range(mask.ndim) if a != axis)
        hits = np.flatnonzero(mask.any(axis=other) if other else mask)
        box.append(slice(int(hits[0]), int(hits[-1]) + 1))
    return tuple(box)


def surface_distances(pred: np.ndarray,
                      gt: np.ndarray,
                      spacing: Spacing = None) -> Tuple[np.ndarray, np.ndarray]:
    """Directed surface distances between two non-empty masks.

    Args:
        pred (np.ndarray): Predicted boolean mask, shape ``(D1, ..., Dn)``, not empty.
        gt (np.ndarray): Ground-truth boolean mask, same shape, not empty.
        spacing: Pixel spacing (see :func:`check_spacing`); ``None`` gives pixel units.

    Returns:
        ``(pred_to_gt, gt_to_pred)``: float64 distances from each surface pixel of ``pred`` to
        the nearest surface pixel of ``gt``, shape ``(|S(P)|,)``, and the reverse, shape
        ``(|S(G)|,)``, in row-major pixel order.

    Raises:
        ValueError: If the shapes differ or a mask is empty.
    """
    pred, gt = _as_bool(pred, 'pred'), _as_bool(gt, 'gt')
    if pred.shape != gt.shape:
        raise ValueError(f'pred and gt must have the same shape, got {pred.shape} and {gt.shape}.')
    if not pred.any() or not gt.any():
        raise ValueError('surface distances need two non-empty masks; use surface_scores() for '
                         'the empty-mask values.')
    sampling = check_spacing(spacing, pred.ndim)
    box = _bounding_box(pred | gt)
    edge_pred, edge_gt = mask_surface(pred[box]), mask_surface(gt[box])
    to_gt = distance_transform_edt(~edge_gt, sampling=sampling)[edge_pred]
    to_pred = distance_transform_edt(~edge_pred, sampling=sampling)[edge_gt]
    return to_gt, to_pred


def dice_score(pred: np.ndarray, gt: np.ndarray) -> float:
    """``2 |P ∩ G| / (|P| + |G|)`` of two boolean masks; NaN when ``gt`` is empty (MONAI's
    ``compute_dice`` with ``ignore_empty=True``)."""
    pred, gt = _as_bool(pred, 'pred'), _as_bool(gt, 'gt')
    gt_pixels = int(gt.sum())
    if gt_pixels == 0:
        return float('nan')
    return 2.0 * int(np.logical_and(pred, gt).sum()) / (int(pred.sum()) + gt_pixels)


def surface_scores(pred: np.ndarray,
                   gt: np.ndarray,
                   spacing: Spacing = None,
                   percentile: float = 95.0) -> SurfaceScores:
    """Dice, HD95 and ASSD of one predicted and one ground-truth mask.

    Args:
        pred (np.ndarray): Predicted mask, shape ``(D1, ..., Dn)`` (non-zero is foreground); a
            torch tensor is moved to the host.
        gt (np.ndarray): Ground-truth mask, same shape.
        spacing: Pixel spacing (see :func:`check_spacing`); ``None`` gives pixel units.
        percentile: Percentile of the Hausdorff distance, in ``[0, 100]``. Defaults to 95.

    Returns:
        SurfaceScores: the values, with the empty-mask conventions of the module docstring.
    """
    pred, gt = _as_bool(pred, 'pred'), _as_bool(gt, 'gt')
    if pred.shape != gt.shape:
        raise ValueError(f'pred and gt must have the same shape, got {pred.shape} and {gt.shape}.')
    check_number('percentile', percentile, minimum=0, maximum=100)
    check_spacing(spacing, pred.ndim)
    pred_pixels, gt_pixels = int(pred.sum()), int(gt.sum())
    dice = dice_score(pred, gt)
    if pred_pixels and gt_pixels:
        to_gt, to_pred = surface_distances(pred, gt, spacing)
        hd = max(float(np.percentile(to_gt, percentile)), float(np.percentile(to_pred, percentile)))
        assd = float((to_gt.sum() + to_pred.sum()) / (to_gt.size + to_pred.size))
    else:
        hd = float('nan')
        assd = float('inf') if pred_pixels or gt_pixels else float('nan')
    return SurfaceScores(dice, hd, assd, pred_pixels, gt_pixels)


def label_map_scores(pred: np.ndarray,
                     gt: np.ndarray,
                     classes: Sequence[int],
                     spacing: Spacing = None,
                     ignore_index: Optional[int] = None,
                     percentile: float = 95.0) -> List[SurfaceScores]:
    """:func:`surface_scores` of each class of two label maps.

    Args:
        pred (np.ndarray): Predicted labels, shape ``(H, W)`` (any number of axes).
        gt (np.ndarray): Ground-truth labels, same shape.
        classes: Class indices to score, in the order of the result.
        spacing: Pixel spacing; ``None`` gives pixel units.
        ignore_index: Ground-truth label of pixels that belong to no class: they are removed
            from the prediction too (no class is predicted there), as mmseg's ``IoUMetric``
            leaves them out of its counts.
        percentile: Percentile of the Hausdorff distance. Defaults to 95.

    Returns:
        list[SurfaceScores]: one per entry of ``classes``.
    """
    if hasattr(pred, 'detach'):
        pred = pred.detach().cpu().numpy()
    if hasattr(gt, 'detach'):
        gt = gt.detach().cpu().numpy()
    pred, gt = np.asarray(pred), np.asarray(gt)
    if pred.shape != gt.shape:
        raise ValueError(f'pred and gt label maps must have the same shape, got {pred.shape} and '
                         f'{gt.shape}.')
    valid = None if ignore_index is None else gt != ignore_index
    out = []
    for c in classes:
        pred_c = pred == c
        if valid is not None:
            pred_c &= valid
        out.append(surface_scores(pred_c, gt == c, spacing, percentile))
    return out
