"""Atomic outputs: no temporary folder survives the next run, and outputs get the user's umask."""
import os
import stat
import subprocess
import sys

import pytest

from bdcl_mm.datasets import atomic_output
from bdcl_mm.datasets.converters import convert_isic2019
from bdcl_mm.datasets.synthetic_us import META_FILE, incomplete_reason, write_dataset

DEAD_PID = 2**22 + 12345  # above Linux's pid_max: no process has it


def make_isic(root, per_class=2):
    images = root / 'ISIC_2019_Training_Input'
    images.mkdir(parents=True)
    rows = []
    for n in range(8 * per_class):
        flags = ['0.0'] * 9
        flags[n % 8] = '1.0'
        rows.append(f'ISIC_{n:07d},' + ','.join(flags) + '\n')
        (images / f'ISIC_{n:07d}.jpg').write_bytes(b'jpeg')
    (root / 'ISIC_2019_Training_GroundTruth.csv').write_text(
        'image,MEL,NV,BCC,AK,BKL,DF,VASC,SCC,UNK\n' + ''.join(rows))


@pytest.fixture
def umask_027():
    old = os.umask(0o027)
    yield 0o750
    os.umask(old)


def stale_dirs(parent, name):
    """Temp folders a killed run of each kind leaves: this version's and the pid-less older one."""
    paths = [parent / f'.{name}.tmp-{DEAD_PID}-k1ll3d', parent / f'.{name}.old-{DEAD_PID}-k1ll3d',
             parent / f'.{name}.tmp-olderv1']
    for path in paths:
        path.mkdir(parents=True)
        (path / 'partial.bin').write_bytes(b'\0' * 1024)
    return paths


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_converter_sweeps_stale_temp_folders_and_uses_umask(tmp_path, umask_027):
    make_isic(tmp_path / 'src')
    stale = stale_dirs(tmp_path, 'isic')
    convert_isic2019(str(tmp_path / 'src'), str(tmp_path / 'isic'))
    assert not any(p.exists() for p in stale)
    assert sorted(os.listdir(tmp_path)) == ['isic', 'src']
    assert mode(tmp_path / 'isic') == umask_027
    convert_isic2019(str(tmp_path / 'src'), str(tmp_path / 'isic'), force=True)
    assert sorted(os.listdir(tmp_path)) == ['isic', 'src'] and mode(tmp_path / 'isic') == umask_027


def test_generator_sweeps_stale_temp_folders_and_uses_umask(tmp_path, umask_027):
    stale = stale_dirs(tmp_path, 'tus')
    write_dataset(str(tmp_path / 'tus'), 2, 1, size=48, progress=False)
    assert not any(p.exists() for p in stale)
    assert sorted(os.listdir(tmp_path)) == ['tus'] and mode(tmp_path / 'tus') == umask_027
    assert incomplete_reason(str(tmp_path / 'tus')) is None


def test_a_live_runs_temp_folder_is_kept(tmp_path):
    live = tmp_path / f'.out.tmp-{os.getpid()}-running'
    live.mkdir()
    dead = stale_dirs(tmp_path, 'out')
    removed = atomic_output.sweep_stale_temp_dirs(str(tmp_path / 'out'))
    assert sorted(removed) == sorted(map(str, dead)) and live.is_dir()
    (tmp_path / '.other.tmp-olderv1').mkdir()  # another output's: not ours to remove
    atomic_output.sweep_stale_temp_dirs(str(tmp_path / 'out'))
    assert (tmp_path / '.other.tmp-olderv1').is_dir()


def test_generator_killed_midway_leaves_no_set_and_the_next_run_cleans_up(tmp_path):
    out = tmp_path / 'tus'
    code = ('import os, signal, cv2\n'
            'from bdcl_mm.datasets import synthetic_us\n'
            'real = cv2.imwrite\n'
            'def imwrite(path, image):\n'
            '    if "tus_train_00001" in path:\n'
            '        os.kill(os.getpid(), signal.SIGKILL)\n'
            '    return real(path, image)\n'
            'cv2.imwrite = imwrite\n'
            f'synthetic_us.write_dataset({str(out)!r}, 4, 1, size=48, progress=False)\n')
    proc = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert proc.returncode == -9, proc.stderr
    leftovers = os.listdir(tmp_path)
    assert not out.exists() and len(leftovers) == 1 and leftovers[0].startswith('.tus.tmp-')
    write_dataset(str(out), 2, 1, size=48, progress=False)
    assert sorted(os.listdir(tmp_path)) == ['tus'] and incomplete_reason(str(out)) is None


def test_generator_force_replaces_a_set_whole(tmp_path):
    out = tmp_path / 'tus'
    write_dataset(str(out), 3, 2, size=48, progress=False)
    (out / 'notes.txt').write_text('mine')
    write_dataset(str(out), 1, 0, size=48, force=True, progress=False)
    assert sorted(os.listdir(out)) == sorted(['ann_dir', 'img_dir', META_FILE, 'notes.txt'])
    assert os.listdir(out / 'img_dir' / 'val') == [] and incomplete_reason(str(out)) is None
    assert sorted(os.listdir(tmp_path)) == ['tus']


def test_incomplete_reason_names_what_is_missing(tmp_path):
    out = tmp_path / 'tus'
    write_dataset(str(out), 2, 1, size=48, progress=False)
    os.remove(out / 'ann_dir' / 'train' / 'tus_train_00001.png')
    assert incomplete_reason(str(out)) == ('ann_dir/train holds 1 images, synthetic_us.json '
                                           'records 2')
    os.remove(out / META_FILE)
    assert 'synthetic_us.json is missing' in incomplete_reason(str(out))
