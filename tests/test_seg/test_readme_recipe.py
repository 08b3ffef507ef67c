"""The README's "Add BDCL to your model" snippet, pasted under mmseg's own packaged configs."""
import os.path as osp
import re

import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmseg.registry import MODELS

import bdcl_mm.seg  # noqa: F401
from bdcl_mm.seg import PixelContrastMixin, check_config
from tests._shared.paths import REPO


def readme_snippet():
    with open(osp.join(REPO, 'README.md'), encoding='utf-8') as f:
        text = f.read()
    section = text[text.index('### Add BDCL to your model'):]
    block = re.search(r'\n\n((?:    .*\n)+)', section[section.index('add these lines'):])
    return '\n'.join(line[4:] for line in block.group(1).splitlines())


@pytest.mark.parametrize('host,host_type,num_classes', [
    ('unet/unet-s5-d16_fcn_4xb4-40k_drive-64x64.py', 'FCNHead', 2),
    ('deeplabv3plus/deeplabv3plus_r50-d8_4xb4-80k_ade20k-512x512.py',
     'DepthwiseSeparableASPPHead', 150),
    ('segformer/segformer_mit-b0_8xb2-160k_ade20k-512x512.py', 'SegformerHead', 150),
])
def test_snippet_under_a_packaged_host_config(host, host_type, num_classes, tmp_path):
    snippet = readme_snippet()
    assert "host_type='FCNHead'" in snippet and 'num_classes=3' in snippet
    snippet = snippet.replace("host_type='FCNHead'", f'host_type={host_type!r}')
    path = tmp_path / 'with_bdcl.py'
    path.write_text(f"_base_ = ['mmseg::{host}']\n{snippet}\n")
    cfg = Config.fromfile(str(path))
    with pytest.raises(ValueError, match=r'model\.decode_head\.num_classes=3'):
        check_config(cfg)  # the README's next sentence: set num_classes in every head
    cfg.model.decode_head.num_classes = num_classes
    check_config(cfg)
    cfg.model.pretrained = None
    cfg.model.backbone.init_cfg = None
    with DefaultScope.overwrite_default_scope('mmseg'):
        model = MODELS.build(cfg.model)
    head = model.decode_head
    assert isinstance(head, PixelContrastMixin) and type(head).__name__ == f'BDCL{host_type}'
    assert head.loss_contrast.num_classes == num_classes
    assert head.projector[0].conv.in_channels == head.channels
    assert [h.type for h in cfg.custom_hooks] == ['BDCLHook', 'SegNumClassesCheckHook']
