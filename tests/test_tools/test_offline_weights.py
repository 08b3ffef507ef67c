"""Offline, a config's pretrained weights that cannot be downloaded are named with the fix."""
import os.path as osp
from urllib.error import URLError

import pytest
from mmengine.config import Config

from bdcl_mm.engine.remote_weights import (WeightsDownloadError, explain_download_errors,
                                           remote_weight_sources)
from tests._shared.paths import REPO
from tests._shared.tool_runner import run_tool

HRNET_W48_URL = 'https://download.openmmlab.com/pretrain/third_party/hrnetv2_w48-d2186c55.pth'


def test_train_tool_names_unreachable_pretrained_url_and_fix(seg_setup):
    root, config = seg_setup
    url = 'http://127.0.0.1:9/bdcl_offline_test_weights.pth'  # nothing listens on port 9
    proc = run_tool('train.py', config, '--work-dir', root / 'w', '--cfg-options',
                    f'model.pretrained={url}', cwd=root, check=False,
                    extra_env={'TORCH_HOME': str(root / 'torch_home')})
    assert proc.returncode != 0
    assert 'WeightsDownloadError' in proc.stderr
    assert f'model.pretrained = {url}' in proc.stderr
    assert '--cfg-options model.pretrained=None' in proc.stderr
    assert '--cfg-options model.pretrained=/path/to/weights.pth' in proc.stderr


def test_shipped_hrnet_config_names_the_imagenet_weights():
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'bdcl', 'hrnet_ocr_tui.py'))
    assert remote_weight_sources(cfg) == [('model.pretrained', 'open-mmlab://msra/hrnetv2_w48')]
    with pytest.raises(WeightsDownloadError) as raised:
        with explain_download_errors(cfg):
            raise URLError('[Errno -3] Temporary failure in name resolution')
    message = str(raised.value)
    assert f'open-mmlab://msra/hrnetv2_w48 = {HRNET_W48_URL}' in message
    assert 'model.pretrained=None' in message and 'name resolution' in message
    assert isinstance(raised.value.__cause__, URLError)


def test_init_cfg_checkpoint_fix_unsets_init_cfg():
    cfg = Config(dict(model=dict(backbone=dict(
        init_cfg=dict(type='Pretrained', checkpoint='https://example.org/r50.pth')))))
    with pytest.raises(WeightsDownloadError, match=r'model\.backbone\.init_cfg=None'):
        with explain_download_errors(cfg):
            raise URLError('offline')


def test_url_error_without_remote_weights_is_left_alone():
    with pytest.raises(URLError):
        with explain_download_errors(Config(dict(model=dict(pretrained=None)))):
            raise URLError('offline')


def _message(cfg):
    with pytest.raises(WeightsDownloadError) as raised:
        with explain_download_errors(cfg):
            raise URLError('offline')
    return str(raised.value)


def test_segformer_stock_config_advice_unsets_the_backbone_init_cfg():
    # SegFormer's MiT weights come from backbone.init_cfg; model.pretrained is None already
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'bdcl',
                                   'bdcl_segformer_mit-b0_80k_tui-512x512.py'))
    assert cfg.model.pretrained is None
    message = _message(cfg)
    assert '--cfg-options model.backbone.init_cfg=None`' in message
    assert 'model.pretrained=None' not in message
    assert 'model.backbone.init_cfg.checkpoint=/path/to/weights.pth' in message


def test_mmpretrain_init_cfg_list_and_every_source_get_their_fix():
    url = 'https://download.openmmlab.com/mmclassification/v0/resnet/resnet50_8xb32_in1k.pth'
    cfg = Config(dict(model=dict(
        pretrained='open-mmlab://msra/hrnetv2_w48',
        backbone=dict(init_cfg=[dict(type='Kaiming', layer='Conv2d'),
                                dict(type='Pretrained', checkpoint=url, prefix='backbone')]))))
    message = _message(cfg)
    assert f'model.backbone.init_cfg.1.checkpoint = {url}' in message
    assert ('`--cfg-options model.pretrained=None model.backbone.init_cfg=None`' in message)
    assert ('model.pretrained=/path/to/weights.pth '
            'model.backbone.init_cfg.1.checkpoint=/path/to/weights.pth`' in message)


def test_train_tool_names_the_init_cfg_fix_for_an_mmpretrain_backbone(cls_setup):
    root, config = cls_setup
    url = 'http://127.0.0.1:9/bdcl_offline_resnet.pth'  # nothing listens on port 9
    proc = run_tool('train.py', config, '--work-dir', root / 'w', '--cfg-options',
                    'model.backbone.init_cfg.type=Pretrained',
                    f'model.backbone.init_cfg.checkpoint={url}',
                    'model.backbone.init_cfg.prefix=backbone', cwd=root, check=False,
                    extra_env={'TORCH_HOME': str(root / 'torch_home')})
    assert proc.returncode != 0 and 'WeightsDownloadError' in proc.stderr
    assert f'model.backbone.init_cfg.checkpoint = {url}' in proc.stderr
    assert '--cfg-options model.backbone.init_cfg=None`' in proc.stderr
