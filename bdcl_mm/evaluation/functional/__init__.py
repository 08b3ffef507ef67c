"""Pure numpy metrics for class-imbalanced classification (no host import)."""
from .imbalance import (balanced_accuracy, confusion_matrix, f1_per_class, g_mean, iba,
                        imbalance_metrics, macro_f1, one_vs_rest_counts, precision, safe_divide,
                        sensitivity, shot_group_accuracy, specificity, top1_accuracy)

__all__ = [
    'balanced_accuracy', 'confusion_matrix', 'f1_per_class', 'g_mean', 'iba', 'imbalance_metrics',
    'macro_f1', 'one_vs_rest_counts', 'precision', 'safe_divide', 'sensitivity',
    'shot_group_accuracy', 'specificity', 'top1_accuracy'
]
