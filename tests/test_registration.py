"""What importing bdcl_mm does: the maths imports no host, the plugins register and set the policy."""
import os
import subprocess
import sys
import textwrap

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOSTS = ('mmengine', 'mmcv', 'mmseg', 'mmpretrain')


def run_python(code: str) -> str:
    """Run ``code`` in a fresh interpreter that imports this checkout; return its stdout."""
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get('PYTHONPATH', ''))
    proc = subprocess.run([sys.executable, '-c', textwrap.dedent(code)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f'{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}'
    return proc.stdout


def test_maths_imports_no_host_and_leaves_the_checkpoint_loader_alone():
    out = run_python(f"""
        import sys
        import bdcl_mm
        import bdcl_mm.models.losses.functional
        from bdcl_mm.models.losses import bdcl_loss, tdl_update
        from bdcl_mm.evaluation.functional import g_mean
        from bdcl_mm.datasets.samplers import class_balanced_indices
        print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HOSTS!r})))
        from mmengine.runner.checkpoint import CheckpointLoader, load_from_local
        print(CheckpointLoader._get_checkpoint_loader('model.pth') is load_from_local)
        """)
    assert out.split('\n')[:2] == ['[]', 'True']


def test_lazy_reexports_resolve_and_register():
    from mmengine.registry import DATA_SAMPLERS, MODELS

    import bdcl_mm
    from bdcl_mm.datasets import ClassBalancedSampler
    from bdcl_mm.models import BDCLLoss as models_loss
    from bdcl_mm.models.losses import BDCLLoss
    assert models_loss is BDCLLoss and MODELS.get('BDCLLoss') is BDCLLoss
    assert DATA_SAMPLERS.get('ClassBalancedSampler') is ClassBalancedSampler
    assert bdcl_mm.engine.safe_torch_load is not None
    assert 'BDCLLoss' in dir(bdcl_mm.models.losses)
    with pytest.raises(AttributeError, match='no attribute'):
        bdcl_mm.models.losses.NotALoss  # noqa: B018


def test_reexported_function_survives_its_namesake_submodule():
    out = run_python("""
        import bdcl_mm.registration  # imports the sub-module bdcl_mm.models.losses.bdcl_loss
        from bdcl_mm.models.losses import BDCLLoss, bdcl_loss
        from bdcl_mm.models.losses.functional import bdcl_loss as functional_loss
        print(bdcl_loss is functional_loss, BDCLLoss.__module__)
        """)
    assert out.split('\n')[0] == 'True bdcl_mm.models.losses.bdcl_loss'


@pytest.mark.parametrize('plugin', ['bdcl_mm.registration', 'bdcl_mm.seg', 'bdcl_mm.cls'])
def test_plugin_registers_root_components_and_installs_the_loader(plugin):
    out = run_python(f"""
        from mmengine.runner.checkpoint import CheckpointLoader
        from mmengine.registry import DATA_SAMPLERS, HOOKS, MODELS
        before = CheckpointLoader._get_checkpoint_loader('model.pth')
        import {plugin}
        from bdcl_mm.engine.checkpoint import safe_checkpoint_loader_installed
        print([MODELS.get('BDCLLoss') is not None, HOOKS.get('BDCLHook') is not None,
               DATA_SAMPLERS.get('ClassBalancedSampler') is not None])
        print(before.__module__, safe_checkpoint_loader_installed())
        """)
    assert out.split('\n')[:2] == ['[True, True, True]', 'mmengine.runner.checkpoint True']


def test_plugin_import_keeps_the_trust_opt_in():
    out = run_python("""
        from bdcl_mm.engine import checkpoint
        checkpoint.register_safe_checkpoint_loader(trust=True)
        import bdcl_mm.seg
        print(checkpoint._TRUST['enabled'], checkpoint.safe_checkpoint_loader_installed())
        """)
    assert out.split('\n')[0] == 'True True'


def test_torch_before_2_6_keeps_mmengines_loader():
    out = run_python("""
        import torch
        torch.__version__ = '2.1.2'
        from mmengine.runner.checkpoint import CheckpointLoader, load_from_local
        from bdcl_mm.engine import checkpoint
        checkpoint.register_safe_checkpoint_loader()
        print(checkpoint.install_safe_checkpoint_loader(),
              CheckpointLoader._get_checkpoint_loader('model.pth') is load_from_local)
        """)
    assert out.split('\n')[0] == 'False True'
