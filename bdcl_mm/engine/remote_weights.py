"""Name the weights and the fix when a config's pretrained weights cannot be downloaded.

Host configs start backbones from released weights given by URL (``model.pretrained =
'open-mmlab://msra/hrnetv2_w48'`` in mmseg's HRNet configs, ``init_cfg=dict(type='Pretrained',
checkpoint='https://...')`` in mmpretrain's). Offline, mmengine fails deep inside
``init_weights`` with a bare ``URLError`` that names neither. :func:`explain_download_errors` turns
that error into a :class:`WeightsDownloadError` listing every remote weight source of the config
(config key, value, resolved URL) and, for each, the ``--cfg-options`` that give a local file or
run without it (``model.pretrained=None`` for mmseg's ``pretrained``, ``...init_cfg=None`` for an
``init_cfg`` checkpoint such as SegFormer's MiT or an mmpretrain backbone's).
"""
import re
from contextlib import contextmanager
from typing import Any, Iterator, List, Tuple
from urllib.error import URLError

from mmengine.config import Config

REMOTE = re.compile(r'^(https?|open-?mmlab|torchvision|modelzoo|mmcls)://')
WEIGHT_KEYS = ('pretrained', 'checkpoint')


class WeightsDownloadError(RuntimeError):
    """Pretrained weights named by URL in the config could not be downloaded."""


def resolve_url(source: str) -> str:
    """The download URL behind ``open-mmlab://NAME`` (mmengine's model zoo); others unchanged."""
    match = re.match(r'^open-?mmlab://(.+)$', source)
    if not match:
        return source
    from mmengine.runner.checkpoint import get_deprecated_model_names, get_external_models
    name = get_deprecated_model_names().get(match.group(1), match.group(1))
    return get_external_models().get(name, source)


def remote_weight_sources(cfg: Config) -> List[Tuple[str, str]]:
    """``(config key, value)`` of every remote weight source: ``load_from`` and, under ``model``,
    each ``pretrained`` / ``init_cfg.checkpoint`` holding a URL."""
    found: List[Tuple[str, str]] = []

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                path = f'{where}.{key}'
                if key in WEIGHT_KEYS and isinstance(value, str) and REMOTE.match(value):
                    found.append((path, value))
                else:
                    walk(value, path)
        elif isinstance(node, (list, tuple)):
            for index, item in enumerate(node):
                walk(item, f'{where}.{index}')

    walk(cfg.get('model') or {}, 'model')
    load_from = cfg.get('load_from')
    if isinstance(load_from, str) and REMOTE.match(load_from):
        found.append(('load_from', load_from))
    return found


def without_weights_key(key: str) -> str:
    """The config key that turns a remote weight source off: ``model.pretrained`` for itself, the
    whole ``init_cfg`` for an ``init_cfg`` checkpoint (a dict or an entry of a list, as in
    SegFormer's and mmpretrain's ``init_cfg=dict(type='Pretrained', checkpoint=...)``)."""
    parts = key.split('.')
    if 'init_cfg' in parts:
        return '.'.join(parts[:len(parts) - parts[::-1].index('init_cfg')])
    return key


def download_error_message(sources: List[Tuple[str, str]], error: BaseException) -> str:
    """The message of :class:`WeightsDownloadError` for ``sources`` that failed with ``error``."""
    lines = [f'Could not download the pretrained weights of this config ({error}):']
    for key, value in sources:
        url = resolve_url(value)
        shown = value if url == value else f'{value} = {url}'
        lines.append(f'  {key} = {shown}')
    local = ' '.join(f'{key}=/path/to/weights.pth' for key, _ in sources)
    unset = ' '.join(f'{key}=None' for key in dict.fromkeys(
        without_weights_key(key) for key, _ in sources))
    lines.append(
        f'Offline? Download the files elsewhere and pass their local paths, e.g. `--cfg-options '
        f'{local}`, or start without these weights (random init): `--cfg-options {unset}`.')
    return '\n'.join(lines)


@contextmanager
def explain_download_errors(cfg: Config) -> Iterator[None]:
    """Re-raise a ``URLError`` inside the block as :class:`WeightsDownloadError` naming the URLs.

    A ``URLError`` while the config has no remote weight source is re-raised as it is.

    Args:
        cfg: The config whose Runner is built / run inside the block.
    """
    try:
        yield
    except URLError as error:
        sources = remote_weight_sources(cfg)
        if not sources:
            raise
        raise WeightsDownloadError(download_error_message(sources, error)) from error
