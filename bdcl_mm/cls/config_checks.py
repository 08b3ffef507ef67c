"""Pre-flight checks of MMPretrain configs, run by ``tools/train.py``/``tools/test.py``."""
import os.path as osp

from mmengine.config import Config
from mmengine.runner import find_latest_checkpoint

from .backbone_check import BackboneLoadCheckHook

STAGE1_HINT = ('Pass the stage-1 checkpoint: --cfg-options '
               'load_from=work_dirs/<stage-1 config>/epoch_<N>.pth')


def _train_pipeline(cfg: Config) -> list:
    dataset = (cfg.get('train_dataloader') or {}).get('dataset') or {}
    while isinstance(dataset, dict) and 'pipeline' not in dataset and 'dataset' in dataset:
        dataset = dataset['dataset']
    return list(dataset.get('pipeline') or []) if isinstance(dataset, dict) else []


def _check_stage2_weights(cfg: Config) -> None:
    """Refuse a cRT stage 2 without ``load_from`` unless it resumes a checkpoint of its own."""
    if not cfg.get('resume'):
        raise ValueError('This is a cRT stage-2 config (a classifier on a frozen backbone) but no '
                         f'stage-1 weights are given. {STAGE1_HINT}')
    work_dir = cfg.get('work_dir')
    if work_dir and osp.isdir(work_dir) and find_latest_checkpoint(work_dir):
        return
    raise ValueError(
        f'This is a cRT stage-2 config (a classifier on a frozen backbone) and resume is on, but '
        f'the work dir {work_dir!r} has no checkpoint to resume and no load_from is set, so the '
        f'classifier would train on a random backbone. For a fresh stage 2: {STAGE1_HINT} (with '
        f'--resume, that run starts from stage 1 and a rerun resumes its own checkpoint).')


def add_backbone_check(cfg: Config) -> None:
    """Append ``BackboneLoadCheckHook`` to ``cfg.custom_hooks`` unless it is listed."""
    hooks = list(cfg.get('custom_hooks') or [])
    names = (BackboneLoadCheckHook.__name__, BackboneLoadCheckHook)
    if not any(isinstance(h, dict) and h.get('type') in names for h in hooks):
        cfg.custom_hooks = hooks + [dict(type=BackboneLoadCheckHook.__name__)]


def _batch_augment_types(preprocessor: dict) -> list:
    augments = ((preprocessor or {}).get('batch_augments') or {}).get('augments') or []
    augments = augments if isinstance(augments, (list, tuple)) else [augments]
    return [a.get('type') for a in augments if isinstance(a, dict)]


def _check_balanced_mixup(cfg: Config) -> None:
    """``BalancedMixUp``, its paired batches and its pre-processor go together."""
    model = cfg.get('model') or {}
    preprocessor = dict(cfg.get('data_preprocessor') or {})
    preprocessor.update(model.get('data_preprocessor') or {})
    mixup = 'BalancedMixUp' in _batch_augment_types(preprocessor)
    batch_sampler = (cfg.get('train_dataloader') or {}).get('batch_sampler') or {}
    paired = isinstance(batch_sampler, dict) and batch_sampler.get(
        'type') == 'BalancedMixUpBatchSampler'
    recipe = ("train_dataloader.batch_sampler=dict(type='BalancedMixUpBatchSampler') with "
              "data_preprocessor=dict(type='PairedBatchClsDataPreprocessor', batch_augments=dict("
              "augments=dict(type='BalancedMixUp', alpha=0.2)))")
    if mixup and not paired:
        raise ValueError('the BalancedMixUp batch augment mixes an instance half with a '
                         'class-balanced half, which only BalancedMixUpBatchSampler provides; use '
                         + recipe)
    if paired and not mixup:
        raise ValueError('BalancedMixUpBatchSampler adds a class-balanced half to every batch, '
                         'which only the BalancedMixUp batch augment consumes; use ' + recipe)
    if mixup and preprocessor.get('type') != 'PairedBatchClsDataPreprocessor':
        raise ValueError(f"BalancedMixUp returns half of the batch's images, so the data samples "
                         f"must be cut to match: data_preprocessor.type is "
                         f"{preprocessor.get('type')!r}; use " + recipe)


def check_config(cfg: Config) -> None:
    """Fail early on the two-stage recipe's easy mistakes.

    - A cRT stage-2 model (``CRTClsHead``, or any head on a backbone whose every stage is
      frozen, e.g. GCL's stage 2) without ``load_from`` or a backbone ``init_cfg`` would
      train a classifier on a random frozen backbone; so would a resume (``resume=True``, no
      ``load_from``) that finds no checkpoint in ``work_dir``. Such a stage-2 config also gets
      ``BackboneLoadCheckHook`` (:func:`add_backbone_check`), which stops the run when the
      checkpoint it loads does not fill every backbone tensor.
    - A ``MultiView`` training pipeline needs ``BDCLImageClassifier`` (it concatenates views).
    - ``BalancedMixUp``, ``BalancedMixUpBatchSampler`` and ``PairedBatchClsDataPreprocessor``
      are used together or not at all.

    Raises:
        ValueError: With the setting to change.
    """
    model = cfg.get('model') or {}
    head = model.get('head') or {}
    backbone = model.get('backbone') or {}
    crt = isinstance(head, dict) and head.get('type') == 'CRTClsHead'
    frozen = backbone.get('frozen_stages', -1) >= backbone.get('num_stages', 4)
    stage2 = isinstance(head, dict) and (crt or frozen)
    if stage2 and not cfg.get('load_from') and not backbone.get('init_cfg'):
        _check_stage2_weights(cfg)
    if stage2:
        add_backbone_check(cfg)
    multi_view = any(
        isinstance(t, dict) and t.get('type') == 'MultiView' for t in _train_pipeline(cfg))
    if multi_view and model.get('type') != 'BDCLImageClassifier':
        raise ValueError(
            f"the training pipeline makes several views per image (MultiView) but model.type is "
            f"{model.get('type')!r}; use type='BDCLImageClassifier' (with BDCLClsHead).")
    _check_balanced_mixup(cfg)
