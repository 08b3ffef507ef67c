"""Fail early when a segmentation head's ``num_classes`` disagrees with its dataset's classes.

Two entry points sharing one comparison:

* :func:`check_num_classes` (run by :func:`check_config`, which ``tools/train.py`` /
  ``tools/test.py`` call) reads a config before anything is built;
* ``SegNumClassesCheckHook`` checks the built model and dataloaders at ``before_train`` /
  ``before_val`` / ``before_test`` for users of mmseg's own tools.
"""
from typing import Iterator, Optional, Sequence, Tuple

import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.registry import DATASETS, HOOKS

from bdcl_mm.engine.config_checks import DATALOADER_KEYS, iter_datasets
from bdcl_mm.models.losses import BDCLLoss
from .model_checks import RECIPE, check_bdcl_placement, check_head_inputs


def _heads(model_cfg: dict) -> Iterator[Tuple[str, dict]]:
    for key in ('decode_head', 'auxiliary_head'):
        heads = model_cfg.get(key)
        if isinstance(heads, dict):
            yield f'model.{key}', heads
        elif isinstance(heads, (list, tuple)):
            for i, head in enumerate(heads):
                yield f'model.{key}[{i}]', head


def _dataset_classes(dataset_cfg: dict) -> Optional[Tuple[str, ...]]:
    """Classes of a dataset config: its ``metainfo.classes``, else the registered class's."""
    metainfo = dataset_cfg.get('metainfo') or {}
    if metainfo.get('classes'):
        return tuple(metainfo['classes'])
    dataset_type = dataset_cfg.get('type')
    dataset_cls = DATASETS.get(dataset_type) if isinstance(dataset_type, str) else dataset_type
    classes = getattr(dataset_cls, 'METAINFO', {}).get('classes') if dataset_cls else None
    return tuple(classes) if classes else None


def compare_num_classes(where: str, num_classes: int, out_channels: Optional[int],
                        dataset: str, classes: Sequence[str]) -> None:
    """Raise ``ValueError`` unless a head with ``num_classes`` fits a dataset's ``classes``.

    Args:
        where (str): the head's place (config key or module name), used in the message.
        num_classes (int): the head's ``num_classes``.
        out_channels (int, optional): the head's ``out_channels`` (1 for a sigmoid binary head).
        dataset (str): the dataset's place and type, used in the message.
        classes (Sequence[str]): the dataset's class names.
    """
    if num_classes == len(classes):
        return
    binary = out_channels == 1 and num_classes == 2 and len(classes) == 2
    if not binary:
        raise ValueError(
            f'{where}.num_classes={num_classes} but {dataset} has {len(classes)} classes '
            f'{tuple(classes)}. Set num_classes={len(classes)} in every decode/auxiliary head '
            f'(e.g. --cfg-options with the full head list), or give the dataset '
            f'metainfo=dict(classes=...) matching the model.')


def check_num_classes(cfg: Config, dataloaders: Sequence[str] = DATALOADER_KEYS) -> None:
    """Check every head (and its ``loss_contrast``) against every dataset of a config.

    Args:
        cfg (Config): an mmseg config (``model.decode_head`` a dict or a list, optional
            ``model.auxiliary_head``).
        dataloaders (Sequence[str]): the dataloader keys whose datasets are checked.

    Raises:
        ValueError: a head's ``num_classes`` (or ``loss_contrast.num_classes``) differs from the
            number of classes of a dataset, naming both.
    """
    model = cfg.get('model') or {}
    heads = list(_heads(model))
    for where_data, dataset_cfg in iter_datasets(cfg, dataloaders):
        classes = _dataset_classes(dataset_cfg)
        if classes is None:
            continue
        dataset = f'{where_data} ({dataset_cfg.get("type")})'
        for where, head in heads:
            if 'num_classes' in head:
                compare_num_classes(where, head['num_classes'], head.get('out_channels'), dataset,
                                    classes)
            contrast = head.get('loss_contrast') or {}
            if 'num_classes' in contrast:
                compare_num_classes(f'{where}.loss_contrast', contrast['num_classes'], None,
                                    dataset, classes)


def check_config(cfg: Config) -> None:
    """The segmentation pre-flight checks ``tools/train.py`` and ``tools/test.py`` run on a config.

    :func:`~bdcl_mm.seg.model_checks.check_bdcl_placement` on the model, then
    :func:`check_num_classes` over every dataloader of the config.
    """
    check_bdcl_placement(cfg.get('model') or {})
    check_num_classes(cfg)


@HOOKS.register_module()
class SegNumClassesCheckHook(Hook):
    """Check the built model's decode/auxiliary heads against the dataloaders' classes.

    It also rejects a ``BDCLLoss`` inside a head's ``loss_decode`` and, at ``before_train``,
    heads whose ``in_channels`` do not fit the backbone features (one backbone forward of a
    64x64 zero image in eval mode, no gradient).

    Runs at ``before_train``, ``before_val`` and ``before_test`` (for the dataloader of that
    stage); a mismatch raises ``ValueError`` before the first iteration.
    """

    priority = 'VERY_HIGH'

    @staticmethod
    def _check(runner, dataloader) -> None:
        dataset = dataloader.dataset
        classes = (getattr(dataset, 'metainfo', None) or {}).get('classes')
        if not classes:
            return
        model = runner.model
        while is_model_wrapper(model):
            model = model.module
        for name, module in model.named_modules():
            if isinstance(module, BaseDecodeHead):
                if any(isinstance(loss, BDCLLoss) for loss in module.loss_decode.modules()):
                    raise ValueError(f'{name}.loss_decode holds BDCLLoss, which takes pixel '
                                     f'embeddings, not logits; {RECIPE}')
                compare_num_classes(name, module.num_classes, module.out_channels,
                                    type(dataset).__name__, classes)

    @staticmethod
    def _check_head_inputs(runner) -> None:
        model = runner.model
        while is_model_wrapper(model):
            model = model.module
        heads = [(n, m) for n, m in model.named_modules() if isinstance(m, BaseDecodeHead)]
        if not heads or not hasattr(model, 'extract_feat'):
            return
        param = next(model.parameters())
        image = torch.zeros(1, 3, 64, 64, device=param.device, dtype=param.dtype)
        training = model.training
        model.eval()
        try:
            with torch.no_grad():
                feats = model.extract_feat(image)
        except RuntimeError:  # a backbone that does not take this probe: the heads will tell
            return
        finally:
            model.train(training)
        for name, head in heads:
            check_head_inputs(name, head, feats)

    def before_train(self, runner) -> None:
        self._check(runner, runner.train_dataloader)
        self._check_head_inputs(runner)

    def before_val(self, runner) -> None:
        self._check(runner, runner.val_dataloader)

    def before_test(self, runner) -> None:
        self._check(runner, runner.test_dataloader)
