"""MMPretrain evaluation of BDCL: the class-imbalance metric."""
from .imbalance_metric import ImbalanceMetric, format_class_table, load_train_counts

__all__ = ['ImbalanceMetric', 'format_class_table', 'load_train_counts']
