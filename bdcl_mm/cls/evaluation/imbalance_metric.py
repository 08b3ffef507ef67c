"""``ImbalanceMetric``: the BDCL paper's ACC / G-mean / F1 / IBA for mmpretrain evaluators."""
import json
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from mmpretrain.registry import METRICS

from bdcl_mm.evaluation.functional import imbalance_metrics
from bdcl_mm.utils import check_positive_int


def load_train_counts(source: Union[str, Sequence[int]]) -> List[int]:
    """Training samples per class, given directly or as a ``split_info.json`` path.

    ``split_info.json`` is written by the project's dataset converters and holds
    ``train_counts`` (one integer per class, in class order).
    """
    if isinstance(source, str):
        with open(source, encoding='utf-8') as f:
            info = json.load(f)
        if 'train_counts' not in info:
            raise ValueError(f'{source} has no "train_counts" entry; give the training counts '
                             'per class as a list instead.')
        source = info['train_counts']
    counts = [int(c) for c in source]
    if any(c < 0 for c in counts):
        raise ValueError(f'training counts must be non-negative, got {counts}.')
    return counts


def format_class_table(names: Sequence[str], results: dict,
                       train_counts: Optional[Sequence[int]]) -> str:
    """A fixed-width per-class table (values x100) for the log."""
    support = results['confusion_matrix'].sum(axis=1)
    columns = ['class', 'support', 'recall', 'specificity', 'precision', 'F1']
    if train_counts is not None:
        columns.insert(1, 'train')
    rows = []
    for c, name in enumerate(names):
        row = [str(name), str(int(support[c]))]
        if train_counts is not None:
            row.insert(1, str(train_counts[c]))
        row += [
            f"{results[key][c]:.2f}"
            for key in ('sensitivity', 'specificity', 'precision', 'f1_per_class')
        ]
        rows.append(row)
    widths = [max(len(col), *(len(r[i]) for r in rows)) for i, col in enumerate(columns)]

    def line(cells):
        return ' | '.join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(cells, widths)))

    rule = '-+-'.join('-' * w for w in widths)
    return '\n'.join([line(columns), rule] + [line(r) for r in rows])


@METRICS.register_module()
class ImbalanceMetric(BaseMetric):
    """Class-imbalance metrics of single-label classification (BDCL paper, ICASSP 2024).

    Reports, x100: ``acc`` (top-1), ``gmean`` (``mean_c sqrt(sen_c spe_c)``), ``f1`` (macro),
    ``iba_<alpha>`` (``mean_c (1 + alpha (sen_c - spe_c)) sen_c spe_c``), ``balanced_acc``
    (mean recall), per-class ``recall_<class>`` and, given the training class counts,
    ``many_shot_acc`` / ``medium_shot_acc`` / ``few_shot_acc``. ``sen_c``/``spe_c`` are the
    one-vs-rest sensitivity/specificity of class ``c``; the maths is in
    :mod:`bdcl_mm.evaluation.functional` (0/0 is defined as 0 there). A per-class table is
    written to the log. Keys carry the prefix ``imbalance/`` by default.

    The predicted class is the argmax of ``pred_score`` (else ``pred_label``).

    Args:
        num_classes (int, optional): Number of classes; defaults to the dataset's classes,
            else the score length, else the largest label + 1.
        iba_alphas (Sequence[float]): IBA ``alpha`` values. Defaults to ``(0.1, 0.5, 1.0)``.
        train_class_counts (Sequence[int] | str, optional): Training samples per class, or a
            converter's ``split_info.json``; enables the many/medium/few-shot accuracies.
        shot_thresholds (tuple[int, int]): ``(many, few)``: many-shot classes have more than
            ``many`` training samples, few-shot fewer than ``few``. Defaults to ``(100, 20)``.
        per_class_results (bool): Also return ``recall_<class>`` keys. Defaults to True.
        collect_device (str): ``'cpu'`` or ``'gpu'``.
        prefix (str, optional): Key prefix. Defaults to ``'imbalance'``.
    """
    default_prefix: Optional[str] = 'imbalance'

    def __init__(self,
                 num_classes: Optional[int] = None,
                 iba_alphas: Sequence[float] = (0.1, 0.5, 1.0),
                 train_class_counts: Union[None, str, Sequence[int]] = None,
                 shot_thresholds: Tuple[int, int] = (100, 20),
                 per_class_results: bool = True,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        check_positive_int('num_classes', num_classes, allow_none=True)
        if len(shot_thresholds) != 2:
            raise ValueError(f'shot_thresholds must be (many, few), got {shot_thresholds!r}.')
        self.num_classes = num_classes
        self.iba_alphas = tuple(iba_alphas)
        self.train_class_counts = (None if train_class_counts is None else
                                   load_train_counts(train_class_counts))
        self.shot_thresholds = tuple(shot_thresholds)
        self.per_class_results = per_class_results

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """Keep the predicted and true class (and the score length) of each sample."""
        for sample in data_samples:
            if 'pred_score' in sample:
                score = sample['pred_score']
                pred, num_scores = int(score.argmax()), int(score.numel())
            else:
                pred, num_scores = int(sample['pred_label'].reshape(-1)[0]), None
            gt = sample['gt_label'].reshape(-1)
            if gt.numel() != 1:
                raise ValueError('ImbalanceMetric is for single-label data; got a sample with '
                                 f'{gt.numel()} labels.')
            self.results.append((pred, int(gt[0]), num_scores))

    def _resolve_num_classes(self, preds: np.ndarray, gts: np.ndarray,
                             score_sizes: set) -> Tuple[int, List[str]]:
        names = list((self.dataset_meta or {}).get('classes') or [])
        num_classes = self.num_classes
        if num_classes is not None and names and len(names) != num_classes:
            raise ValueError(f'ImbalanceMetric(num_classes={num_classes}) but the dataset has '
                             f'{len(names)} classes; fix num_classes or the dataset classes.')
        if num_classes is None:
            if names:
                num_classes = len(names)
            elif score_sizes:
                num_classes = max(score_sizes)
            else:
                num_classes = int(max(preds.max(), gts.max())) + 1
        if len(score_sizes) > 1 or (score_sizes and score_sizes != {num_classes}):
            raise ValueError(f'the model predicts scores for {sorted(score_sizes)} classes but '
                             f'the evaluation expects {num_classes}; check the head\'s '
                             'num_classes against the dataset classes.')
        if not names:
            names = [str(c) for c in range(num_classes)]
        if self.train_class_counts is not None and len(self.train_class_counts) != num_classes:
            raise ValueError(f'train_class_counts has {len(self.train_class_counts)} entries for '
                             f'{num_classes} classes.')
        return num_classes, names

    def compute_metrics(self, results: List[tuple]) -> Dict[str, float]:
        """Metrics over all processed samples (x100); also logs the per-class table."""
        if not results:
            raise ValueError('ImbalanceMetric got no sample to evaluate.')
        preds = np.array([r[0] for r in results], dtype=np.int64)
        gts = np.array([r[1] for r in results], dtype=np.int64)
        score_sizes = {r[2] for r in results if r[2] is not None}
        num_classes, names = self._resolve_num_classes(preds, gts, score_sizes)
        full = imbalance_metrics(
            preds,
            gts,
            num_classes,
            iba_alphas=self.iba_alphas,
            train_counts=self.train_class_counts,
            shot_thresholds=self.shot_thresholds)
        print_log(
            'Per-class results (x100):\n' +
            format_class_table(names, full, self.train_class_counts),
            logger='current')
        metrics = {k: float(v) for k, v in full.items() if np.ndim(v) == 0}
        if self.per_class_results:
            metrics.update({
                f'recall_{name}': float(full['sensitivity'][c])
                for c, name in enumerate(names)
            })
        return metrics
