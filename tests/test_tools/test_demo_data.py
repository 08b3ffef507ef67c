"""``tools/demo.py`` stops on an incomplete synthetic set with the command that regenerates it."""
import importlib.util
import os
import os.path as osp
import shlex
import subprocess

import pytest

from bdcl_mm.datasets.synthetic_us import META_FILE, incomplete_reason, write_dataset
from tests._shared.paths import REPO


def load_demo():
    spec = importlib.util.spec_from_file_location('demo_tool', osp.join(REPO, 'tools', 'demo.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_incomplete_set_stops_with_the_regenerate_command(tmp_path, monkeypatch):
    root = tmp_path / 'TUI_demo'
    write_dataset(str(root), 2, 1, size=48, progress=False)
    os.remove(root / META_FILE)  # what an interrupted older generator run left
    demo = load_demo()
    monkeypatch.setattr(demo, 'run', lambda *args: pytest.fail(f'ran {args}'))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as stop:
        demo.main(['--data-root', 'TUI_demo', '--num-train', '2', '--num-val', '1'])
    message = str(stop.value.code)
    assert 'incomplete synthetic set' in message and 'synthetic_us.json is missing' in message
    command = next(line.strip() for line in message.splitlines() if '--force' in line)
    subprocess.run(shlex.split(command), check=True, capture_output=True, cwd=tmp_path)
    assert incomplete_reason(str(root)) is None


def test_complete_set_is_reused_and_a_missing_one_generated(tmp_path):
    demo = load_demo()
    args = demo.parse_args(['--data-root', str(tmp_path / 'new')])
    assert demo.check_existing_set(args) is False
    write_dataset(str(tmp_path / 'done'), 2, 1, size=48, progress=False)
    args = demo.parse_args(['--data-root', str(tmp_path / 'done')])
    assert demo.check_existing_set(args) is True
