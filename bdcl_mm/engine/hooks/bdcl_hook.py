"""``BDCLHook``: schedules the BDCL prototype (HEP) and temperature (TDL) updates, and the
state updates of every other loss that follows the same statistics protocol (TSC's centroids).

TDL (temperature dynamic learning) and HEP (hard-example prototypes) are the two parts of
"Balanced and Discriminative Contrastive Learning for Class-Imbalanced Medical Images"
(ICASSP 2024). The update rules: docs/method.md; the hook's options: docs/components.md. A loss
takes part through :class:`~bdcl_mm.models.losses.StatisticsLoss` (``BDCLLoss``, ``TSCLoss``).
"""
import json
import logging
import math
import os.path as osp
import re
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmengine.dist import all_reduce, is_main_process
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS
from torch import Tensor, nn

from bdcl_mm.models.losses import BDCLLoss, StatisticsLoss, SummedStatistics
from bdcl_mm.utils import check_non_negative_int, check_positive_int

CHECKPOINT_KEY = 'bdcl_hook'


def find_bdcl_losses(model: nn.Module) -> List[Tuple[str, BDCLLoss]]:
    """All ``BDCLLoss`` modules of a (possibly wrapped) model, with their module paths.

    Args:
        model (nn.Module): the model, possibly wrapped (DDP, ...) as mmengine recognises it.

    Returns:
        list[tuple[str, BDCLLoss]]: ``(name, loss)`` in module order.
    """
    while is_model_wrapper(model):
        model = model.module
    return [(name, module) for name, module in model.named_modules()
            if isinstance(module, BDCLLoss)]


def find_statistics_losses(model: nn.Module) -> List[Tuple[str, nn.Module]]:
    """All loss modules of a (possibly wrapped) model that follow
    :class:`~bdcl_mm.models.losses.StatisticsLoss` (``BDCLLoss``, ``TSCLoss``), with their
    module paths, in module order."""
    while is_model_wrapper(model):
        model = model.module
    return [(name, module) for name, module in model.named_modules()
            if isinstance(module, StatisticsLoss)]


def all_reduce_statistics(stats: SummedStatistics,
                          skip: bool = False) -> Tuple[SummedStatistics, bool]:
    """Sum statistics over ranks with a single collective (a no-op when not distributed).

    Args:
        stats (SummedStatistics): this rank's sums; every rank passes the same shapes.
        skip (bool): this rank asks to skip the update (e.g. its optimizer step was skipped).

    Returns:
        tuple[SummedStatistics, bool]: the float32 sums over all ranks, and whether any rank
        asked to skip.
    """
    flag = torch.full((1, ), float(skip), device=stats.device)
    flat = torch.cat([stats.flatten(), flag])
    all_reduce(flat, op='sum')
    return stats.unflatten(flat[:-1]), bool(flat[-1] > 0)


def reduce_bdcl_statistics(loss: StatisticsLoss,
                           skip: bool = False) -> Tuple[Optional[SummedStatistics], bool]:
    """Pop a loss's statistics and sum them over ranks (one collective).

    Every rank must call this at the same iteration when the loss needs statistics; a rank
    without a training forward contributes zeros.

    Args:
        loss (StatisticsLoss): the loss whose statistics are popped (``BDCLLoss``,
            ``TSCLoss``).
        skip (bool): this rank asks to discard the iteration (its optimizer step was skipped).

    Returns:
        tuple[SummedStatistics | None, bool]: the rank sum (None when the loss keeps no
        statistics) and whether any rank asked to skip.
    """
    stats = loss.pop_statistics()
    if not loss.needs_statistics:
        return None, False
    return all_reduce_statistics(stats if stats is not None else loss.empty_statistics(), skip)


def update_bdcl_loss(loss: StatisticsLoss, skip: bool = False) -> Optional[str]:
    """Pop a loss's statistics, sum them over ranks and apply its state update (BDCL: HEP and
    TDL; TSC: centroids and assignment).

    Args:
        loss (StatisticsLoss): the loss to update in place (see
            :func:`reduce_bdcl_statistics`).
        skip (bool): discard the statistics instead; if any rank skips, all do.

    Returns:
        str | None: ``'applied'``, ``'skipped'``, ``'nonfinite'`` (refused, state unchanged),
        or None when the loss keeps no statistics.
    """
    summed, skipped = reduce_bdcl_statistics(loss, skip)
    if summed is None:
        return None
    if skipped:
        return 'skipped'
    return 'applied' if loss.apply_statistics(summed) else 'nonfinite'


def loss_scale(optim_wrapper) -> Optional[float]:
    """The current dynamic loss scale of an AMP optimizer wrapper, None without one."""
    scaler = getattr(optim_wrapper, 'loss_scaler', None)
    if scaler is None or not hasattr(scaler, 'get_scale'):
        return None
    if hasattr(scaler, 'is_enabled') and not scaler.is_enabled():
        return None
    return float(scaler.get_scale())


def step_was_skipped(scale_before: Optional[float], scale_after: Optional[float],
                     outputs: Optional[dict]) -> bool:
    """Whether an iteration's optimizer step should count as skipped for the BDCL state.

    A dynamic loss scaler lowers its scale exactly when it skips a step (non-finite
    gradients); a non-finite logged loss means the step used non-finite gradients.
    """
    if scale_before is not None and scale_after is not None and scale_after < scale_before:
        return True
    for value in (outputs or {}).values():
        if isinstance(value, Tensor) and value.numel() and not bool(torch.isfinite(value).all()):
            return True
        if isinstance(value, float) and not math.isfinite(value):
            return True
    return False


def _scalar_suffix(name: str, index: int) -> str:
    """A message-hub-safe class tag: the class name's word characters, else the index."""
    tag = re.sub(r'\W+', '_', str(name)).strip('_')
    return tag if tag and 'loss' not in tag.lower() else str(index)


@HOOKS.register_module()
class BDCLHook(Hook):
    """Apply the BDCL prototype and temperature updates (and any other contrastive loss's
    state update) after training iterations.

    For every loss in the model that follows :class:`~bdcl_mm.models.losses.StatisticsLoss`
    (``BDCLLoss``, ``TSCLoss``; several are allowed) it pops the statistics the training
    forwards accumulated, sums them over ranks with one ``all_reduce`` and applies the loss's
    update: for BDCL the HEP (EMA prototypes) and TDL (per-class temperatures) updates, for TSC
    the EMA class centroids and the class-to-target assignment, so the state is the same on
    every rank. Per-class temperatures (BDCL losses) go to the
    message hub as ``train/bdcl_tau_<class>`` (``train/bdcl<j>_tau_<class>`` for the j-th loss when
    there are several) and, at the end of training, to ``bdcl_temperatures.{png,json}`` in
    ``runner.work_dir`` (main process). The temperature history and the statistics gathered
    since the last update (``interval > 1``) travel in checkpoints, so a resumed run plots the
    whole schedule and applies exactly the updates an uninterrupted run would. Prototypes and
    temperatures are module buffers: the model's state dict carries them.

    State that must not be poisoned: an iteration whose optimizer step was skipped (the AMP
    loss scaler lowered its scale) or whose logged losses are not finite applies no update,
    and statistics that are not finite are refused by the loss. Both are counted and sent to
    the message hub as ``train/bdcl_skipped_updates`` and ``train/bdcl_nonfinite_updates``;
    the first refusal is logged as a warning.

    Args:
        start_iter (int): warm-up; before this iteration statistics are discarded and nothing
            moves. Defaults to 0.
        interval (int): apply every ``interval`` iterations, accumulating the statistics of the
            iterations in between. Defaults to 1.
        log_interval (int | None): also print every class's temperature to the log every this
            many iterations. None: only the message hub (and the final summary). Defaults to None.
        plot (bool): write the temperature curves at the end of training. Defaults to True.
    """

    priority = 'NORMAL'

    def __init__(self,
                 start_iter: int = 0,
                 interval: int = 1,
                 log_interval: Optional[int] = None,
                 plot: bool = True) -> None:
        self.start_iter = check_non_negative_int('start_iter', start_iter)
        self.interval = check_positive_int('interval', interval)
        self.log_interval = check_positive_int('log_interval', log_interval, allow_none=True)
        self.plot = plot
        self._losses: List[Tuple[str, StatisticsLoss]] = []
        # the BDCL losses among them: their temperatures are recorded, logged and plotted
        self._tau_losses: List[Tuple[str, BDCLLoss]] = []
        self._class_names: List[List[str]] = []
        # module path -> list of [iteration, [tau_0, ..., tau_{C-1}]]
        self._history: Dict[str, List[list]] = {}
        self._counts = {'skipped': 0, 'nonfinite': 0}
        self._scale_before: Optional[float] = None
        # module path -> rank-summed statistics of the iterations since the last update
        self._pending: Dict[str, SummedStatistics] = {}
        # module path -> pending statistics read from a checkpoint, typed in before_train
        self._loaded_pending: Dict[str, dict] = {}

    def _tag(self, index: int) -> str:
        return 'bdcl' if len(self._tau_losses) == 1 else f'bdcl{index}'

    def _names(self, runner, loss: StatisticsLoss) -> List[str]:
        try:
            classes = runner.train_dataloader.dataset.metainfo['classes']
        except (AttributeError, KeyError, TypeError):
            classes = None
        if classes is not None and len(classes) == loss.num_classes:
            return [str(name) for name in classes]
        return [str(index) for index in range(loss.num_classes)]

    def _record(self, runner, iteration: int) -> None:
        for index, (name, loss) in enumerate(self._tau_losses):
            taus = loss.temperatures.detach().cpu().tolist()
            history = self._history.setdefault(name, [])
            if history and history[-1][0] == iteration:
                history[-1] = [iteration, taus]
            else:
                history.append([iteration, taus])
            tag = self._tag(index)
            for class_index, (class_name, tau) in enumerate(zip(self._class_names[index], taus)):
                runner.message_hub.update_scalar(
                    f'train/{tag}_tau_{_scalar_suffix(class_name, class_index)}', tau)

    def _count(self, runner, what: str) -> None:
        self._counts[what] += 1
        for key, value in self._counts.items():
            runner.message_hub.update_scalar(f'train/bdcl_{key}_updates', value)
        if what == 'nonfinite' and self._counts[what] == 1:
            print_log(
                f'BDCL statistics at iteration {runner.iter + 1} were not finite (non-finite '
                'features, e.g. an fp16 overflow); that update was dropped and the temperatures '
                'and prototypes are unchanged. Further drops are counted in '
                'train/bdcl_nonfinite_updates.',
                logger='current',
                level=logging.WARNING)

    def _log(self, iteration: int) -> None:
        for index, (name, loss) in enumerate(self._tau_losses):
            values = ', '.join(
                f'{class_name}={tau:.4f}'
                for class_name, tau in zip(self._class_names[index], loss.temperatures.tolist()))
            print_log(f'BDCL {name} (iter {iteration}) temperatures: {values}', logger='current')

    def before_train(self, runner) -> None:
        """Find the losses, mark them consumed, and record the starting temperatures."""
        self._losses = find_statistics_losses(runner.model)
        self._tau_losses = [(name, loss) for name, loss in self._losses
                            if isinstance(loss, BDCLLoss)]
        if not self._losses:
            print_log(
                'BDCLHook found no loss with update statistics (BDCLLoss, TSCLoss) in the '
                'model; it will do nothing.',
                logger='current',
                level=logging.WARNING)
            return
        self._class_names = [self._names(runner, loss) for _, loss in self._tau_losses]
        for name, loss in self._losses:
            loss.statistics_consumer_attached = True
            loss.pop_statistics()
            empty = loss.empty_statistics()
            if name in self._loaded_pending:
                self._pending[name] = type(empty).from_state_dict(self._loaded_pending.pop(name))
            if name in self._pending:
                self._pending[name] = self._pending[name].to(empty.device)
        for name in list(self._history):
            self._history[name] = [row for row in self._history[name] if row[0] <= runner.iter]
        self._record(runner, runner.iter)

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        """Remember the AMP loss scale, to tell afterwards whether the step was skipped."""
        self._scale_before = loss_scale(runner.optim_wrapper) if self._losses else None

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs: Optional[dict] = None) -> None:
        """Sum this iteration's statistics over ranks into the pending sums (unless the step
        was skipped or they are not finite), and apply the pending sums every interval."""
        if not self._losses:
            return
        iteration = runner.iter + 1
        if iteration <= self.start_iter:
            for _, loss in self._losses:
                loss.pop_statistics()
            return
        skipped = step_was_skipped(self._scale_before, loss_scale(runner.optim_wrapper), outputs)
        for name, loss in self._losses:
            summed, any_skipped = reduce_bdcl_statistics(loss, skipped)
            if summed is None:
                continue
            if any_skipped or not summed.is_finite():
                self._count(runner, 'skipped' if any_skipped else 'nonfinite')
                continue
            pending = self._pending.get(name)
            self._pending[name] = summed if pending is None else pending + summed
        if (iteration - self.start_iter) % self.interval:
            return
        for name, loss in self._losses:
            pending = self._pending.pop(name, None)
            if pending is not None and not loss.apply_statistics(pending):
                self._count(runner, 'nonfinite')
        self._record(runner, iteration)
        if self.log_interval is not None and iteration % self.log_interval == 0:
            self._log(iteration)

    def after_train(self, runner) -> None:
        """Log the final temperatures and write their curves (main process)."""
        if not self._losses:
            return
        if self.log_interval is None or runner.iter % self.log_interval:
            self._log(runner.iter)
        if self.plot and is_main_process():
            for index, (name, _) in enumerate(self._tau_losses):
                stem = osp.join(runner.work_dir, f'{self._tag(index)}_temperatures')
                save_temperature_history(
                    self._history.get(name, []), self._class_names[index], stem, title=name)
                print_log(
                    f'BDCL temperature curves written to {stem}.png and {stem}.json',
                    logger='current')

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """Store the temperature history, the drop counts and the pending statistics (the
        rank sums of the iterations since the last update, identical on every rank)."""
        checkpoint[CHECKPOINT_KEY] = {
            'history': self._history,
            'counts': dict(self._counts),
            'pending': {name: stats.state_dict() for name, stats in self._pending.items()}
        }

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Restore what :meth:`before_save_checkpoint` stored (applied in :meth:`before_train`)."""
        state = checkpoint.get(CHECKPOINT_KEY)
        if not isinstance(state, dict):
            return
        if isinstance(state.get('history'), dict):
            self._history = {
                name: [list(row) for row in rows]
                for name, rows in state['history'].items()
            }
        if isinstance(state.get('counts'), dict):
            self._counts.update({k: int(v) for k, v in state['counts'].items()
                                 if k in self._counts})
        if isinstance(state.get('pending'), dict):
            self._pending = {}
            self._loaded_pending = dict(state['pending'])


def save_temperature_history(history: Sequence[list],
                             class_names: Sequence[str],
                             stem: str,
                             title: str = '') -> None:
    """Write ``<stem>.json`` (iterations and per-class temperatures) and ``<stem>.png``.

    Args:
        history (Sequence[list]): rows ``[iteration, [tau_0, ..., tau_{C-1}]]``.
        class_names (Sequence[str]): one name per class.
        stem (str): output path without extension.
        title (str): plot title.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    iterations = [row[0] for row in history]
    columns = list(zip(*(row[1] for row in history))) if history else [[] for _ in class_names]
    with open(stem + '.json', 'w') as f:
        json.dump(
            {
                'iterations': iterations,
                'temperatures': {
                    name: list(values)
                    for name, values in zip(class_names, columns)
                }
            },
            f,
            indent=1)
    figure = Figure(figsize=(7, 4))
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    for name, values in zip(class_names, columns):
        axes.plot(iterations, values, marker='.' if len(iterations) < 50 else None, label=name)
    axes.set_xlabel('iteration')
    axes.set_ylabel('temperature')
    axes.set_title(f'BDCL per-class temperatures {title}'.strip())
    axes.legend(fontsize='small', ncol=max(1, len(class_names) // 12))
    axes.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(stem + '.png', dpi=120)
