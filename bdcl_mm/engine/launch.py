"""What ``tools/train.py`` and ``tools/test.py`` share: config loading, host selection, runner build.

The host package is chosen by the config's ``default_scope``: ``'mmseg'`` imports
:mod:`bdcl_mm.seg`, ``'mmpretrain'`` imports :mod:`bdcl_mm.cls`; both register bdcl_mm's components
before the config is built. The tools build and run the Runner inside
:func:`~bdcl_mm.engine.remote_weights.explain_download_errors`, so failing to download pretrained
weights (offline) names the URL and the ``--cfg-options`` that avoid it.
"""
import importlib
import os
from typing import Optional, Sequence

import torch
import torch.distributed as dist
from mmengine.config import Config, ConfigDict
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from .checkpoint import register_safe_checkpoint_loader
from .config_checks import DATALOADER_KEYS, check_data_folders
from .remote_weights import explain_download_errors

__all__ = [
    'amp_optim_wrapper', 'build_runner', 'explain_download_errors', 'load_config',
    'parse_cfg_options_args', 'prepare_environment', 'shutdown_distributed'
]

HOST_PLUGINS = {'mmseg': 'bdcl_mm.seg', 'mmpretrain': 'bdcl_mm.cls'}


def load_config(path: str,
                cfg_options: Optional[dict] = None,
                launcher: str = 'none',
                trust_checkpoint: bool = False) -> Config:
    """Read a config, apply ``--cfg-options``, import the host plugin and set the checkpoint policy.

    The host plugin's ``complete_config(cfg)``, when it defines one, then fills in what the config's
    files make knowable (:mod:`bdcl_mm.seg`: a ``BDCLDecodeHead``'s missing ``host_type``, from
    the decode head type of its ``_base_`` files).

    Args:
        path: Config file (text style, ``_base_`` may use ``mmseg::`` / ``mmpretrain::``).
        cfg_options: Overrides as parsed by mmengine's ``DictAction``.
        launcher: ``'none'``, ``'pytorch'``, ``'slurm'`` or ``'mpi'``.
        trust_checkpoint: Allow full unpickling of checkpoints (also ``trust_checkpoint = True`` in
            the config).

    Raises:
        ValueError: The config's ``default_scope`` is not a supported host.
    """
    cfg = Config.fromfile(path)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    scope = cfg.get('default_scope', None)
    if scope not in HOST_PLUGINS:
        raise ValueError(f'{path}: default_scope is {scope!r}; bdcl_mm tools serve '
                         f'{sorted(HOST_PLUGINS)} configs. Set `default_scope` in the config.')
    plugin = importlib.import_module(HOST_PLUGINS[scope])
    if hasattr(plugin, 'complete_config'):
        plugin.complete_config(cfg)
    cfg.launcher = launcher
    register_safe_checkpoint_loader(trust=trust_checkpoint or bool(cfg.get('trust_checkpoint')))
    return cfg


def amp_optim_wrapper(optim_wrapper: ConfigDict) -> ConfigDict:
    """Turn an ``OptimWrapper`` config into a dynamic-loss-scale ``AmpOptimWrapper``.

    Raises:
        ValueError: on a machine without CUDA (mmengine's ``AmpOptimWrapper`` would stop with a
            bare assertion), or for another optimizer wrapper type.
    """
    if not torch.cuda.is_available():
        raise ValueError('--amp needs a CUDA GPU (mmengine\'s AmpOptimWrapper), and none is '
                         'visible here; train without --amp on CPU (the BDCL loss computes in '
                         'float32 either way).')
    wrapper_type = optim_wrapper.get('type', 'OptimWrapper')
    if wrapper_type == 'AmpOptimWrapper':
        return optim_wrapper
    if wrapper_type != 'OptimWrapper':
        raise ValueError(f'--amp needs optim_wrapper.type OptimWrapper or AmpOptimWrapper, got '
                         f'{wrapper_type!r}.')
    optim_wrapper.type = 'AmpOptimWrapper'
    optim_wrapper.setdefault('loss_scale', 'dynamic')
    return optim_wrapper


def prepare_environment(cfg: Config, dataloaders: Sequence[str] = DATALOADER_KEYS) -> None:
    """Pre-flight checks and CPU-distributed fixes applied before the Runner is built.

    - the ``data_root`` of each dataset of ``dataloaders`` must exist (:func:`check_data_folders`);
    - the host plugin's own checks run (``check_config(cfg)`` of :mod:`bdcl_mm.seg` /
      :mod:`bdcl_mm.cls`, when it defines one);
    - launched without CUDA, DDP runs on CPU over gloo (:func:`_use_cpu_distributed`).
    """
    check_data_folders(cfg, dataloaders)
    plugin = importlib.import_module(HOST_PLUGINS[cfg.default_scope])
    if hasattr(plugin, 'check_config'):
        plugin.check_config(cfg)
    if cfg.launcher != 'none' and not torch.cuda.is_available():
        _use_cpu_distributed(cfg)


def _use_cpu_distributed(cfg: Config) -> None:
    """Run DDP on CPU: gloo process group, no device ids.

    mmengine 0.10.7 calls ``torch.cuda.set_device`` while initialising a ``pytorch`` launch and
    passes ``device_ids=[LOCAL_RANK]`` to DDP; both fail without CUDA. The process group is created
    here (the Runner then skips its own initialisation) and DDP is built with ``device_ids=None``.
    """
    if cfg.launcher != 'pytorch':
        raise ValueError(f'launcher {cfg.launcher!r} without CUDA is not supported; use '
                         f'tools/dist_train.sh (the pytorch launcher) for CPU runs.')
    wrapper = cfg.get('model_wrapper_cfg') or ConfigDict(
        type='MMDistributedDataParallel',
        broadcast_buffers=False,
        find_unused_parameters=cfg.get('find_unused_parameters', False))
    wrapper.device_ids = None
    cfg.model_wrapper_cfg = wrapper
    if not dist.is_initialized():
        dist.init_process_group(backend='gloo')


def shutdown_distributed() -> None:
    """Leave the process group cleanly at the end of a run.

    mmengine never destroys the process group; with gloo a process that exits while the group's
    threads are alive can abort (``terminate called without an active exception``), failing a
    finished run. All ranks meet at a barrier, then the group is destroyed.
    """
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


def build_runner(cfg: Config) -> Runner:
    """Build the Runner the way the hosts' tools do (``runner_type`` honoured)."""
    if 'runner_type' in cfg:
        return RUNNERS.build(cfg)
    return Runner.from_cfg(cfg)


def parse_cfg_options_args(parser, argv: Optional[Sequence[str]] = None):
    """Parse with the common ``--cfg-options/--launcher/--local-rank/--trust-checkpoint`` flags."""
    from mmengine.config import DictAction
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings in the config, key=value, e.g. train_cfg.max_iters=100')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument(
        '--trust-checkpoint',
        action='store_true',
        help='allow full unpickling of checkpoint files (runs pickled code: only for files you '
        'trust). Off by default: tensors, numpy arrays and mmengine logs load safely without it.')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args
