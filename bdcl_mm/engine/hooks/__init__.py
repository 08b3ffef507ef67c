from .bdcl_hook import (BDCLHook, all_reduce_statistics, find_bdcl_losses,
                        gather_pending_statistics, loss_scale, save_temperature_history,
                        step_was_skipped, update_bdcl_loss)

__all__ = [
    'BDCLHook', 'all_reduce_statistics', 'find_bdcl_losses', 'gather_pending_statistics',
    'loss_scale', 'save_temperature_history', 'step_was_skipped', 'update_bdcl_loss'
]
