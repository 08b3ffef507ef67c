"""tools/analysis/benchmark_rival_step.py: every rival of the paper's comparison builds from its
shipped config, steps (with its hook's state update) beside CE, and gets a ratio row."""
import importlib.util
import os.path as osp

import pytest
import torch

from tests._shared.paths import REPO
from tests.test_cls.test_two_stage import make_data

SCRIPT = osp.join(REPO, 'tools', 'analysis', 'benchmark_rival_step.py')


@pytest.fixture(scope='module')
def tool():
    spec = importlib.util.spec_from_file_location('benchmark_rival_step_tool', SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _rows(lines):
    return {line.split(' | ')[0][2:]: line for line in lines if line.startswith('| ')
            and not line.startswith('| method') and not line.startswith('| ---')}


def test_seg_rivals_step_beside_ce(tool):
    args = tool.parse_args(['--task', 'seg', '--size', '64', '--reps', '1', '--warmup', '0'])
    contenders = tool.build(args)
    assert list(contenders) == [label for label, _ in tool.METHODS['seg']]
    # TSC's and BDCL's state is what their hook updates after each step
    assert [len(contenders[k].stateful) for k in ('CE', 'LDAM-DRW', 'TSC', 'BDCL')] == [0, 0, 1, 1]
    tsc = contenders['TSC'].stateful[0]
    before = {k: v.clone() for k, v in tsc.state_dict().items()}
    torch.manual_seed(0)
    times = tool.run(args, contenders)
    changed = [k for k, v in tsc.state_dict().items() if not torch.equal(v, before[k])]
    assert changed, 'the TSC state was not updated by the step'
    rows = _rows(tool.format_table(args, times))
    assert set(rows) == set(contenders) and '1 (reference)' in rows['CE']
    assert all(len(ts) == 1 and ts[0] > 0 for ts in times.values())


def test_cls_rivals_step_on_a_real_batch_of_their_loaders(tool, tmp_path):
    make_data(str(tmp_path / 'data'))
    args = tool.parse_args(['--task', 'cls', '--data-root', str(tmp_path / 'data'), '--batch', '8',
                            '--reps', '1', '--warmup', '0'])
    contenders = tool.build(args)
    mixup = contenders['Balanced-MixUp'].data
    assert len(mixup['inputs']) == 16  # an instance batch and a class-balanced batch
    assert len(contenders['CE'].data['inputs']) == 8
    ldam = contenders['LDAM-DRW'].model.head.loss_module
    assert ldam.class_counts.tolist() == [8, 6, 5, 4, 3, 3, 2, 2, 2, 2]
    rows = _rows(tool.format_table(args, tool.run(args, contenders)))
    assert set(rows) == set(contenders)


def test_stdout_is_the_table_only(tool, tmp_path, capsys):
    make_data(str(tmp_path / 'data'))
    tool.main(['--task', 'cls', '--data-root', str(tmp_path / 'data'), '--batch', '8', '--reps',
               '1', '--warmup', '0'])
    out = capsys.readouterr().out.strip().splitlines()
    assert out[0].startswith('ResNet-18') and out[2].startswith('| method |')
    assert len(out) == 4 + len(tool.METHODS['cls'])


def test_reading_names_the_side_only_beyond_the_interval(tool):
    args = tool.parse_args(['--task', 'seg', '--reps', '6'])
    times = {'CE': [100.0] * 6, 'A': [150.0, 151, 152, 153, 154, 155],
             'B': [90.0, 95, 100, 105, 110, 115]}
    rows = _rows(tool.format_table(args, times))
    assert 'slower than CE' in rows['A'] and 'within noise' in rows['B']
    assert '| 1.525 |' in rows['A']
