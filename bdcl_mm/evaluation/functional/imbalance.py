"""Class-imbalance classification metrics in pure numpy (no host import).

One function per formula, all built on a ``(C, C)`` confusion matrix whose rows are the true
classes and columns the predicted classes. With the one-vs-rest counts of class ``c``
(``TP_c``, ``FP_c``, ``FN_c``, ``TN_c``):

- sensitivity (recall) ``sen_c = TP_c / (TP_c + FN_c)``
- specificity ``spe_c = TN_c / (TN_c + FP_c)``
- precision ``pre_c = TP_c / (TP_c + FP_c)``
- ``F1_c = 2 pre_c sen_c / (pre_c + sen_c)``
- ``G-mean = mean_c sqrt(sen_c spe_c)``
- ``IBA_alpha = mean_c (1 + alpha (sen_c - spe_c)) sen_c spe_c``

This class-averaged one-vs-rest form is the one used by the BDCL paper (Balanced and
Discriminative Contrastive Learning, ICASSP 2024) for ISIC2019 and Hyper-Kvasir; per-class values
agree with ``imblearn.metrics.sensitivity_specificity_support(average=None)``.

Zero division: a ratio whose denominator is 0 is defined as 0 (as scikit-learn and
imbalanced-learn do with ``zero_division=0``). So a class that never occurs in the targets has
``sen_c = 0`` and a class that is never predicted has ``pre_c = 0``. Macro averages run over all
``C`` classes, including such classes, like imbalanced-learn with ``labels=range(C)``.
Functions return fractions in ``[0, 1]``; :func:`imbalance_metrics` reports them x100.
"""
from typing import Dict, Optional, Sequence, Tuple, Union

import numpy as np

from bdcl_mm.utils import check_number, check_positive_int

#: A numpy array, a sequence of numbers or a torch tensor (moved to the host).
ArrayLike = Union[np.ndarray, Sequence]


def _as_int_vector(values: ArrayLike, name: str) -> np.ndarray:
    """Return ``values`` as a 1-D int64 array (torch tensors are moved to the host)."""
    if hasattr(values, 'detach'):
        values = values.detach().cpu().numpy()
    array = np.asarray(values)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1:
        raise ValueError(f'{name} must be a 1-D sequence of class indices, got shape '
                         f'{array.shape}.')
    if array.size and not np.issubdtype(array.dtype, np.integer):
        if not np.all(np.equal(np.mod(array, 1), 0)):
            raise ValueError(f'{name} must hold integer class indices, got dtype {array.dtype}.')
    return array.astype(np.int64)


def safe_divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """Element-wise ``numerator / denominator`` with ``x / 0 := 0``.

    Args:
        numerator (np.ndarray): Shape ``(C,)``.
        denominator (np.ndarray): Shape ``(C,)``.

    Returns:
        np.ndarray: float64 ratios of shape ``(C,)``.
    """
    numerator = np.asarray(numerator, dtype=np.float64)
    denominator = np.asarray(denominator, dtype=np.float64)
    out = np.zeros(np.broadcast(numerator, denominator).shape, dtype=np.float64)
    np.divide(numerator, denominator, out=out, where=denominator != 0)
    return out


def confusion_matrix(preds: ArrayLike, targets: ArrayLike, num_classes: int) -> np.ndarray:
    """Confusion matrix ``M[t, p]`` = number of items of true class t predicted as p.

    Args:
        preds (ArrayLike): Predicted class indices, shape ``(N,)``.
        targets (ArrayLike): True class indices, shape ``(N,)``.
        num_classes (int): Number of classes ``C``.

    Returns:
        np.ndarray: int64 matrix of shape ``(C, C)``.

    Raises:
        ValueError: On shape mismatch or an index outside ``[0, C)``.
    """
    num_classes = check_positive_int('num_classes', num_classes)
    preds = _as_int_vector(preds, 'preds')
    targets = _as_int_vector(targets, 'targets')
    if preds.shape != targets.shape:
        raise ValueError(f'preds and targets must have the same length, got {preds.shape[0]} '
                         f'and {targets.shape[0]}.')
    for name, values in (('preds', preds), ('targets', targets)):
        bad = values[(values < 0) | (values >= num_classes)]
        if bad.size:
            raise ValueError(f'{name} holds class index {int(bad[0])} outside [0, {num_classes}); '
                             f'check num_classes ({num_classes}) against the dataset classes.')
    flat = targets * num_classes + preds
    return np.bincount(flat, minlength=num_classes**2).reshape(num_classes, num_classes)


def _check_confusion(cm: ArrayLike) -> np.ndarray:
    cm = np.asarray(cm)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1]:
        raise ValueError(f'confusion matrix must be square (C, C), got shape {cm.shape}.')
    if np.any(cm < 0):
        raise ValueError('confusion matrix must hold non-negative counts.')
    return cm.astype(np.float64)


def one_vs_rest_counts(cm: ArrayLike) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-class one-vs-rest counts ``(TP, FP, FN, TN)``, each of shape ``(C,)``.

    Args:
        cm (ArrayLike): Confusion matrix ``(C, C)``, rows true, columns predicted.
    """
    cm = _check_confusion(cm)
    tp = np.diag(cm)
    fp = cm.sum(axis=0) - tp
    fn = cm.sum(axis=1) - tp
    tn = cm.sum() - tp - fp - fn
    return tp, fp, fn, tn


def sensitivity(cm: ArrayLike) -> np.ndarray:
    """Per-class sensitivity (recall) ``TP / (TP + FN)``, shape ``(C,)``; 0/0 := 0."""
    tp, _, fn, _ = one_vs_rest_counts(cm)
    return safe_divide(tp, tp + fn)


def specificity(cm: ArrayLike) -> np.ndarray:
    """Per-class one-vs-rest specificity ``TN / (TN + FP)``, shape ``(C,)``; 0/0 := 0."""
    _, fp, _, tn = one_vs_rest_counts(cm)
    return safe_divide(tn, tn + fp)


def precision(cm: ArrayLike) -> np.ndarray:
    """Per-class precision ``TP / (TP + FP)``, shape ``(C,)``; 0/0 := 0 (never predicted)."""
    tp, fp, _, _ = one_vs_rest_counts(cm)
    return safe_divide(tp, tp + fp)


def f1_per_class(cm: ArrayLike) -> np.ndarray:
    """Per-class F1 ``2 TP / (2 TP + FP + FN)`` (= harmonic mean of precision and recall).

    Returns 0 for a class with no true, no predicted item, shape ``(C,)``.
    """
    tp, fp, fn, _ = one_vs_rest_counts(cm)
    return safe_divide(2 * tp, 2 * tp + fp + fn)


def macro_f1(cm: ArrayLike) -> float:
    """Macro F1: ``mean_c F1_c`` over all ``C`` classes."""
    return float(f1_per_class(cm).mean())


def top1_accuracy(cm: ArrayLike) -> float:
    """Top-1 accuracy ``trace(M) / sum(M)``; 0 for an empty matrix."""
    cm = _check_confusion(cm)
    total = cm.sum()
    return float(np.trace(cm) / total) if total > 0 else 0.0


def balanced_accuracy(cm: ArrayLike) -> float:
    """Balanced accuracy: mean per-class recall over all ``C`` classes."""
    return float(sensitivity(cm).mean())


def g_mean(sen: ArrayLike, spe: ArrayLike) -> float:
    """Class-averaged geometric mean ``mean_c sqrt(sen_c spe_c)``.

    Args:
        sen (ArrayLike): Per-class sensitivity, shape ``(C,)``.
        spe (ArrayLike): Per-class specificity, shape ``(C,)``.
    """
    sen, spe = np.asarray(sen, np.float64), np.asarray(spe, np.float64)
    return float(np.sqrt(sen * spe).mean())


def iba(sen: ArrayLike, spe: ArrayLike, alpha: float = 0.1) -> float:
    """Class-averaged index of balanced accuracy.

    ``IBA_alpha = mean_c (1 + alpha (sen_c - spe_c)) sen_c spe_c`` (García et al., 2009, per
    class one-vs-rest as in the BDCL paper).

    Args:
        sen (ArrayLike): Per-class sensitivity, shape ``(C,)``.
        spe (ArrayLike): Per-class specificity, shape ``(C,)``.
        alpha (float): Dominance weight, ``alpha >= 0``.
    """
    check_number('alpha', alpha, minimum=0)
    sen, spe = np.asarray(sen, np.float64), np.asarray(spe, np.float64)
    return float(((1.0 + alpha * (sen - spe)) * sen * spe).mean())


def shot_group_accuracy(recall: ArrayLike,
                        train_counts: ArrayLike,
                        many_threshold: int = 100,
                        few_threshold: int = 20) -> Dict[str, float]:
    """Mean recall of the many-, medium- and few-shot classes (long-tail convention).

    A class is *many-shot* if it has more than ``many_threshold`` training samples, *few-shot*
    if it has fewer than ``few_threshold``, *medium-shot* otherwise. Groups without any class
    are left out of the result.

    Args:
        recall (ArrayLike): Per-class recall, shape ``(C,)``.
        train_counts (ArrayLike): Training samples per class, shape ``(C,)``.
        many_threshold (int): Many-shot means ``count > many_threshold``.
        few_threshold (int): Few-shot means ``count < few_threshold``.

    Returns:
        dict: Subset of ``{'many': r, 'medium': r, 'few': r}`` (fractions).
    """
    recall = np.asarray(recall, np.float64)
    counts = np.asarray(train_counts)
    if counts.shape != recall.shape:
        raise ValueError(f'train_counts has {counts.size} entries but there are {recall.size} '
                         'classes; give one training count per class.')
    if few_threshold > many_threshold:
        raise ValueError(f'few_threshold ({few_threshold}) must not exceed many_threshold '
                         f'({many_threshold}).')
    groups = {
        'many': counts > many_threshold,
        'medium': (counts >= few_threshold) & (counts <= many_threshold),
        'few': counts < few_threshold,
    }
    return {name: float(recall[mask].mean()) for name, mask in groups.items() if mask.any()}


def imbalance_metrics(
    preds: ArrayLike,
    targets: ArrayLike,
    num_classes: int,
    iba_alphas: Sequence[float] = (0.1, 0.5, 1.0),
    train_counts: Optional[ArrayLike] = None,
    shot_thresholds: Tuple[int, int] = (100, 20)
) -> Dict[str, object]:
    """All imbalance metrics of a set of predictions, in percent.

    Args:
        preds (ArrayLike): Predicted class indices, shape ``(N,)``.
        targets (ArrayLike): True class indices, shape ``(N,)``.
        num_classes (int): Number of classes ``C``.
        iba_alphas (Sequence[float]): The ``alpha`` values of IBA to report.
        train_counts (ArrayLike, optional): Training samples per class ``(C,)``; adds the
            many/medium/few-shot mean recall.
        shot_thresholds (tuple[int, int]): ``(many, few)`` thresholds, see
            :func:`shot_group_accuracy`.

    Returns:
        dict: ``acc``, ``gmean``, ``f1``, ``iba_<alpha>``, ``balanced_acc`` and, with
        ``train_counts``, ``<group>_shot_acc`` (floats x100); ``confusion_matrix`` ``(C, C)``
        and per-class arrays ``sensitivity``, ``specificity``, ``precision``, ``f1_per_class``
        (x100).
    """
    cm = confusion_matrix(preds, targets, num_classes)
    sen, spe = sensitivity(cm), specificity(cm)
    results: Dict[str, object] = {
        'acc': 100.0 * top1_accuracy(cm),
        'gmean': 100.0 * g_mean(sen, spe),
        'f1': 100.0 * macro_f1(cm),
    }
    for alpha in iba_alphas:
        results[f'iba_{alpha:g}'] = 100.0 * iba(sen, spe, alpha)
    results['balanced_acc'] = 100.0 * balanced_accuracy(cm)
    if train_counts is not None:
        many, few = shot_thresholds
        groups = shot_group_accuracy(sen, train_counts, many, few)
        results.update({f'{name}_shot_acc': 100.0 * value for name, value in groups.items()})
    results.update(
        confusion_matrix=cm,
        sensitivity=100.0 * sen,
        specificity=100.0 * spe,
        precision=100.0 * precision(cm),
        f1_per_class=100.0 * f1_per_class(cm))
    return results
