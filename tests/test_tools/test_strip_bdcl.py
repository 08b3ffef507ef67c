"""tools/model_converters/strip_bdcl.py: a BDCL checkpoint becomes one that the stock host model
loads with ``torch.load(weights_only=True)`` and no bdcl_mm import, with the same logits."""
import json
import os.path as osp
import pickle
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config

from bdcl_mm.engine import safe_torch_load
from tests._shared.tool_runner import run_tool

BDCL_SEG = """
_base_ = ['./tiny_ocr.py']
custom_imports = dict(imports=['bdcl_mm.seg'], allow_failed_imports=False)
fcn_head, ocr_head = _base_.model.decode_head
model = dict(decode_head=[
    fcn_head,
    dict(ocr_head, type='BDCLOCRHead', proj_channels=16, max_views=20, max_samples=64,
         loss_contrast=dict(type='BDCLLoss', loss_weight=0.1)),
])
custom_hooks = [dict(type='BDCLHook', plot=False)]
"""

BDCL_CLS = """
_base_ = ['./tiny_resnet.py']
custom_imports = dict(imports=['bdcl_mm.cls'], allow_failed_imports=False)
model = dict(
    type='BDCLImageClassifier',
    head=dict(_delete_=True, type='BDCLClsHead', num_classes=3, in_channels=64,
              proj_channels=(32, 16), loss_contrast=dict(type='BDCLLoss')))
custom_hooks = [dict(type='BDCLHook', plot=False)]
"""

# Runs in a fresh interpreter: stock host only, weights-only load, strict key match.
STOCK_LOGITS = """
import sys, torch
from mmengine.config import Config
config, checkpoint, inputs, out, scope = sys.argv[1:]
if scope == 'mmseg':
    from mmseg.registry import MODELS
    from mmseg.utils import register_all_modules
else:
    from mmpretrain.registry import MODELS
    from mmpretrain.utils import register_all_modules
register_all_modules()
cfg = Config.fromfile(config)
model_cfg = cfg.model
if scope == 'mmpretrain':
    model_cfg.setdefault('data_preprocessor', cfg.get('data_preprocessor'))
model = MODELS.build(model_cfg).eval()
state = torch.load(checkpoint, map_location='cpu', weights_only=True)
model.load_state_dict(state['state_dict'], strict=True)
with torch.no_grad():
    torch.save(model(torch.load(inputs), mode='tensor'), out)
assert not [m for m in sys.modules if m.startswith('bdcl_mm')], 'bdcl_mm was imported'
print('classes', state['meta'].get('dataset_meta', {}).get('classes'))
"""


def stock_logits(root, config, checkpoint, inputs, scope):
    """Logits of the stock model of ``config`` on ``checkpoint``, in a process without bdcl_mm."""
    torch.save(inputs, root / 'inputs.pt')
    out = root / 'stock_logits.pt'
    proc = subprocess.run([sys.executable, '-c', STOCK_LOGITS, str(config), str(checkpoint),
                           str(root / 'inputs.pt'), str(out), scope],
                          cwd=root, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return torch.load(out), proc.stdout


def bdcl_logits(config, checkpoint, inputs, scope):
    """Logits of the BDCL model of ``config`` on the original ``checkpoint`` (bdcl_mm imported)."""
    cfg = Config.fromfile(str(config))
    if scope == 'mmseg':
        import bdcl_mm.seg  # noqa: F401
        from mmseg.registry import MODELS
    else:
        import bdcl_mm.cls  # noqa: F401
        from mmpretrain.registry import MODELS
        cfg.model.setdefault('data_preprocessor', cfg.get('data_preprocessor'))
    model = MODELS.build(cfg.model).eval()
    model.load_state_dict(safe_torch_load(str(checkpoint), map_location='cpu')['state_dict'])
    with torch.no_grad():
        return model(inputs, mode='tensor')


def strip(root, src, dst, check=True):
    return run_tool(osp.join('model_converters', 'strip_bdcl.py'), src, dst, cwd=root, check=check)


def test_seg_stripped_checkpoint_gives_stock_ocrnet_the_same_logits(seg_setup):
    root, stock_config = seg_setup
    config = root / 'tiny_bdcl_ocr.py'
    config.write_text(BDCL_SEG)
    run_tool('train.py', config, '--work-dir', root / 'w', '--cfg-options', 'train_cfg.max_iters=2',
             'train_cfg.val_interval=100', cwd=root)
    original = root / 'w' / 'iter_2.pth'
    raw = safe_torch_load(str(original), map_location='cpu')
    assert 'bdcl_hook' in raw and 'message_hub' in raw
    assert any('.projector.' in k for k in raw['state_dict'])
    with pytest.raises(pickle.UnpicklingError, match='HistoryBuffer'):
        torch.load(original, map_location='cpu', weights_only=True)

    stripped = root / 'ocrnet.pth'
    report = strip(root, original, stripped)
    assert 'BDCL-only weights dropped' in report.stdout
    checkpoint = torch.load(stripped, map_location='cpu', weights_only=True)
    assert set(checkpoint) == {'meta', 'state_dict'}
    assert not [k for k in checkpoint['state_dict'] if 'projector' in k or 'loss_contrast' in k]

    inputs = torch.rand(2, 3, 64, 64, generator=torch.Generator().manual_seed(0)) * 255
    expected = bdcl_logits(config, original, inputs, 'mmseg')
    logits, out = stock_logits(root, stock_config, stripped, inputs, 'mmseg')
    assert logits.shape == expected.shape and torch.allclose(logits, expected, atol=1e-6)
    assert "('background', 'lesion')" in out


def test_cls_stripped_checkpoint_gives_stock_linear_head_the_same_logits(cls_setup):
    root, stock_config = cls_setup
    config = root / 'tiny_bdcl_resnet.py'
    config.write_text(BDCL_CLS)
    run_tool('train.py', config, '--work-dir', root / 'w', '--cfg-options',
             'train_cfg.max_epochs=1', cwd=root)
    original = root / 'w' / 'epoch_1.pth'
    stripped = root / 'resnet.pth'
    strip(root, original, stripped)
    state = torch.load(stripped, map_location='cpu', weights_only=True)['state_dict']
    assert {k for k in state if k.startswith('head.')} == {'head.fc.weight', 'head.fc.bias'}

    inputs = torch.rand(3, 3, 32, 32, generator=torch.Generator().manual_seed(0)) * 255
    expected = bdcl_logits(config, original, inputs, 'mmpretrain')
    logits, _ = stock_logits(root, stock_config, stripped, inputs, 'mmpretrain')
    assert logits.shape == (3, 3) and torch.allclose(logits, expected, atol=1e-6)


def test_crt_head_becomes_fc_and_outputs_are_never_overwritten(tmp_path):
    src = tmp_path / 'crt.pth'
    weights = {'backbone.conv1.weight': torch.ones(2), 'head.crt_fc.weight': torch.zeros(3, 2),
               'head.crt_fc.bias': torch.zeros(3)}
    torch.save({'state_dict': weights, 'meta': {'dataset_meta': {'classes': ('a', 'b', 'c')}}},
               src)
    before = src.read_bytes()
    dst = tmp_path / 'plain.pth'
    strip(tmp_path, src, dst)
    checkpoint = torch.load(dst, weights_only=True)
    assert set(checkpoint['state_dict']) == {'backbone.conv1.weight', 'head.fc.weight',
                                             'head.fc.bias'}
    assert checkpoint['meta']['dataset_meta'] == {'classes': ('a', 'b', 'c')}

    refused = strip(tmp_path, src, src, check=False)
    assert refused.returncode == 2 and 'is the input checkpoint' in refused.stderr
    assert src.read_bytes() == before
    written = dst.read_bytes()
    exists = strip(tmp_path, src, dst, check=False)
    assert exists.returncode == 2 and dst.read_bytes() == written
    # the message alone, as one line: no traceback
    assert exists.stderr.strip().splitlines() == [
        f'strip_bdcl.py: error: {str(dst)!r} exists; choose another output path or pass --force '
        f'to replace it.']
    assert 'Traceback' not in refused.stderr + exists.stderr
    assert not [p for p in tmp_path.iterdir() if p.name.endswith('.tmp')]
    json.dumps(checkpoint['meta'])  # plain values only
