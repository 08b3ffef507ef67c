"""Pure numpy metrics (no host import): class-imbalanced classification, and Dice / HD95 / ASSD
of segmentation masks."""
from .imbalance import (balanced_accuracy, confusion_matrix, f1_per_class, g_mean, iba,
                        imbalance_metrics, macro_f1, one_vs_rest_counts, precision, safe_divide,
                        sensitivity, shot_group_accuracy, specificity, top1_accuracy)
from .surface_distance import (CASES, SurfaceScores, check_spacing, dice_score, label_map_scores,
                               mask_surface, surface_distances, surface_scores)

__all__ = [
    'balanced_accuracy', 'confusion_matrix', 'f1_per_class', 'g_mean', 'iba', 'imbalance_metrics',
    'macro_f1', 'one_vs_rest_counts', 'precision', 'safe_divide', 'sensitivity',
    'shot_group_accuracy', 'specificity', 'top1_accuracy', 'CASES', 'SurfaceScores',
    'check_spacing', 'dice_score', 'label_map_scores', 'mask_surface', 'surface_distances',
    'surface_scores'
]
