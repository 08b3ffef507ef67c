"""Checks run on a config before a Runner is built, so mistakes fail early with a clear message."""
import os.path as osp
from typing import Iterator, Sequence, Tuple

from mmengine.config import Config, ConfigDict

DATALOADER_KEYS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def iter_datasets(cfg: Config,
                  dataloaders: Sequence[str] = DATALOADER_KEYS
                  ) -> Iterator[Tuple[str, ConfigDict]]:
    """Yield ``(where, dataset_cfg)`` for every dataset of every dataloader, wrappers unwrapped.

    Wrappers (``RepeatDataset``, ``ClassBalancedDataset``, ``ConcatDataset``) are followed through
    their ``dataset`` / ``datasets`` keys.
    """
    for key in dataloaders:
        loader = cfg.get(key)
        if not loader or 'dataset' not in loader:
            continue
        stack = [(f'{key}.dataset', loader['dataset'])]
        while stack:
            where, dataset = stack.pop()
            if not isinstance(dataset, dict):
                continue
            if 'dataset' in dataset:
                stack.append((f'{where}.dataset', dataset['dataset']))
            for i, inner in enumerate(dataset.get('datasets', None) or []):
                stack.append((f'{where}.datasets.{i}', inner))
            yield where, dataset


def check_data_folders(cfg: Config, dataloaders: Sequence[str] = DATALOADER_KEYS) -> None:
    """Fail when a dataset's ``data_root`` does not exist, naming the folder and the config key.

    Raises:
        FileNotFoundError: with the missing folder, where the config sets it and how to fix it.
    """
    for where, dataset in iter_datasets(cfg, dataloaders):
        data_root = dataset.get('data_root')
        if data_root and not osp.isdir(data_root):
            raise FileNotFoundError(
                f'Data folder not found: {osp.abspath(data_root)!r} (set by {where}.data_root). '
                f'Put the dataset there, or point the config at it with '
                f'`--cfg-options {where}.data_root=/path/to/data`. '
                f'The "Data" sections of docs/segmentation.md and docs/classification.md '
                f'describe each layout, the converters and the synthetic thyroid-ultrasound set.')
