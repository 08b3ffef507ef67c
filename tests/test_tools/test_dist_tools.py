"""tools/dist_train.sh and tools/dist_test.sh: two CPU processes, gloo, mmengine's pytorch launcher."""
import os
import os.path as osp
import subprocess
import sys

from tests._shared.distributed import free_port
from tests._shared.paths import TOOLS


def run_dist(script, *args, cwd):
    env = {k: v for k, v in os.environ.items() if k != 'TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD'}
    env.update(PYTHON=sys.executable, PORT=str(free_port()), OMP_NUM_THREADS='1')
    proc = subprocess.run(['bash', osp.join(TOOLS, script), *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f'{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}'
    return proc.stdout + proc.stderr


def test_two_process_cpu_train_and_test(cls_setup):
    root, config = cls_setup
    work = root / 'work'
    log = run_dist('dist_train.sh', config, 2, '--work-dir', work, '--cfg-options',
                   'train_cfg.max_epochs=1', cwd=root)
    assert 'Distributed launcher: pytorch' in log and 'Distributed training: True' in log
    assert osp.isfile(work / 'epoch_1.pth')
    log = run_dist('dist_test.sh', config, work / 'epoch_1.pth', 2, '--work-dir', root / 't',
                   cwd=root)
    assert 'accuracy/top1' in log
