"""Run the repository's ``tools/`` scripts in a subprocess, as a user would."""
import os
import os.path as osp
import subprocess
import sys

from .paths import TOOLS

__all__ = ['run_tool']


def run_tool(tool, *args, cwd, check=True, extra_env=None):
    """Run ``tools/<tool>`` without the weights-only escape hatch of torch.

    Args:
        tool (str): Path of the script under ``tools/``, e.g. ``'train.py'``.
        *args: Its command-line arguments (converted with ``str``).
        cwd: Working directory of the subprocess.
        check (bool): Raise ``AssertionError`` with the tail of the output when the tool fails.
        extra_env (dict, optional): Variables added to the environment.

    Returns:
        subprocess.CompletedProcess: With ``stdout`` and ``stderr`` as text.
    """
    env = {k: v for k, v in os.environ.items() if k != 'TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD'}
    env.update(extra_env or {})
    proc = subprocess.run([sys.executable, osp.join(TOOLS, tool), *map(str, args)],
                          cwd=cwd,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=600)
    if check and proc.returncode != 0:
        raise AssertionError(f'{tool} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n'
                             f'{proc.stderr[-6000:]}')
    return proc
