"""The converters and the synthetic generator run without mmengine, mmcv, mmseg or mmpretrain."""
import os
import subprocess
import sys
import textwrap

from tests._shared.paths import REPO


# A fresh interpreter runs every command-line tool as ``python tools/dataset_converters/X.py``
# would (a tiny real generation and ISIC conversion, ``--help`` for the two that need real data),
# then prints which host packages ended up imported.
SCRIPT = """
import os, runpy, sys

def tool(name, *argv):
    sys.argv = [name, *argv]
    try:
        runpy.run_path(os.path.join({repo!r}, 'tools', 'dataset_converters', name),
                       run_name='__main__')
    except SystemExit as stop:
        assert stop.code in (None, 0), stop.code

work = {work!r}
tool('thyroid_us_synth.py', os.path.join(work, 'tus'), '--num-train', '2', '--num-val', '1',
     '--size', '48', '--quiet')
src = os.path.join(work, 'isic')
os.makedirs(os.path.join(src, 'ISIC_2019_Training_Input'))
rows = []
for n in range(16):
    flags = ['0.0'] * 9
    flags[n % 8] = '1.0'
    rows.append(f'ISIC_{{n:07d}},' + ','.join(flags) + '\\n')
    open(os.path.join(src, 'ISIC_2019_Training_Input', f'ISIC_{{n:07d}}.jpg'), 'wb').close()
with open(os.path.join(src, 'ISIC_2019_Training_GroundTruth.csv'), 'w') as f:
    f.write('image,MEL,NV,BCC,AK,BKL,DF,VASC,SCC,UNK\\n' + ''.join(rows))
tool('isic2019.py', src, os.path.join(work, 'isic_out'))
tool('hyper_kvasir.py', '--help')
tool('fashion_mnist_lt.py', '--help')
import bdcl_mm.datasets.converters, bdcl_mm.datasets.synthetic_us
assert os.path.isfile(os.path.join(work, 'tus', 'synthetic_us.json'))
assert os.path.isfile(os.path.join(work, 'isic_out', 'meta', 'train.txt'))
print('HOSTS', sorted({{m.split('.')[0] for m in sys.modules}} &
                      {{'mmengine', 'mmcv', 'mmseg', 'mmpretrain'}}))
"""


def test_converter_and_generator_tools_import_no_host(tmp_path):
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get('PYTHONPATH', ''))
    code = textwrap.dedent(SCRIPT.format(repo=REPO, work=str(tmp_path)))
    proc = subprocess.run([sys.executable, '-c', code], cwd=str(tmp_path), env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f'{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}'
    assert 'HOSTS []' in proc.stdout.splitlines()
