from .bdcl_hook import (BDCLHook, all_reduce_statistics, find_bdcl_losses,
                        find_statistics_losses, loss_scale, reduce_bdcl_statistics,
                        save_temperature_history, step_was_skipped, update_bdcl_loss)
from .class_counts_hook import ClassCountsHook, DRWHook, find_class_count_losses

__all__ = [
    'BDCLHook', 'ClassCountsHook', 'DRWHook', 'all_reduce_statistics', 'find_bdcl_losses',
    'find_class_count_losses', 'find_statistics_losses', 'loss_scale', 'reduce_bdcl_statistics',
    'save_temperature_history', 'step_was_skipped', 'update_bdcl_loss'
]
