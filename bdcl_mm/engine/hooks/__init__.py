from .bdcl_hook import (BDCLHook, all_reduce_statistics, find_bdcl_losses, save_temperature_history,
                        update_bdcl_loss)

__all__ = [
    'BDCLHook', 'all_reduce_statistics', 'find_bdcl_losses', 'save_temperature_history',
    'update_bdcl_loss'
]
