"""The BUSI converter on a generated tree that mimics the release: labels, split, bad input,
output, and the command line."""
import json
import os
import os.path as osp
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from PIL import Image

from bdcl_mm.datasets.converters import (BUSI_FOLDERS, ConversionError, convert_busi,
                                         read_busi_mask)
from bdcl_mm.datasets.converters import busi as busi_module
from tests._shared.busi_tree import RELEASE_DIR, make_busi_tree
from tests._shared.paths import REPO, TOOLS


def _label(out, split, name):
    with Image.open(out / 'ann_dir' / split / f'{name}.png') as image:
        assert image.mode == 'L'
        return np.asarray(image)


def _split_names(out, split):
    return sorted(f[:-4] for f in os.listdir(out / 'img_dir' / split))


def _siblings(out):
    return sorted(p for p in os.listdir(out.parent) if p.startswith(f'.{out.name}.'))


def test_labels_are_the_union_of_all_masks_of_any_mode(tmp_path):
    expected = make_busi_tree(tmp_path / 'src')
    out = tmp_path / 'BUSI'
    summary = convert_busi(str(tmp_path / 'src'), str(out), progress=False)
    split_of = {n: s for s in ('train', 'val') for n in _split_names(out, s)}
    assert sorted(split_of) == sorted(expected)
    assert _split_names(out, 'train') == sorted(f[:-4] for f in os.listdir(out / 'ann_dir/train'))
    pixels = {s: np.zeros(3, dtype=np.int64) for s in ('train', 'val')}
    for name, (folder, label, image) in expected.items():
        split = split_of[name]
        np.testing.assert_array_equal(_label(out, split, name), label, err_msg=name)
        with open(image, 'rb') as f:
            assert (out / 'img_dir' / split / f'{name}.png').read_bytes() == f.read()
        pixels[split] += np.bincount(label.ravel(), minlength=3)
        if folder == 'normal':
            assert not label.any()
    # the union: three masks of benign (1) each add pixels, the RGB (blue only) and RGBA masks count
    assert expected['benign_001'][1].sum() > 0 and expected['malignant_003'][1].max() == 2
    assert summary.pixels == {s: p.tolist() for s, p in pixels.items()}
    record = json.loads((out / 'busi_split.json').read_text())
    assert record['files'][split_of['benign_001']]['benign_001'] == dict(
        image='benign/benign (1).png',
        masks=[
            'benign/benign (1)_mask.png', 'benign/benign (1)_mask_1.png',
            'benign/benign (1)_mask_2.png'
        ])
    assert record['classes'] == ['background', 'benign', 'malignant']
    assert record['pixels'] == summary.pixels and record['images'] == summary.images

    table = summary.table().splitlines()
    assert table[0].split() == [
        'split', 'benign', 'img', 'malignant', 'img', 'normal', 'img', 'total', 'img', 'background',
        'px', '%', 'benign', 'px', '%', 'malignant', 'px', '%'
    ]
    total = pixels['train'] + pixels['val']
    assert table[3].split() == ['all', '6', '4', '3', '13'
                                ] + [f'{100 * p / total.sum():.2f}' for p in total]


def test_split_is_stratified_and_reproducible(tmp_path):
    make_busi_tree(tmp_path / 'src', counts=(10, 6, 5))
    first = convert_busi(str(tmp_path / 'src'), str(tmp_path / 'a'), seed=3, progress=False)
    assert first.images == {'train': [8, 5, 4], 'val': [2, 1, 1]}  # round(0.2 n) per folder
    convert_busi(str(tmp_path / 'src'), str(tmp_path / 'b'), seed=3, progress=False)
    assert _split_names(tmp_path / 'a', 'val') == _split_names(tmp_path / 'b', 'val')
    convert_busi(str(tmp_path / 'src'), str(tmp_path / 'c'), seed=4, val_ratio=0.5, progress=False)
    assert len(_split_names(tmp_path / 'c', 'val')) == 5 + 3 + 2  # round half to even
    convert_busi(str(tmp_path / 'src'), str(tmp_path / 'd'), seed=4, progress=False)
    assert _split_names(tmp_path / 'd', 'val') != _split_names(tmp_path / 'a', 'val')


def test_drop_normal_leaves_out_normal_images_and_folder(tmp_path):
    make_busi_tree(tmp_path, counts=(5, 5, 5), release_dir=False)
    summary = convert_busi(str(tmp_path), str(tmp_path / 'out'), drop_normal=True, progress=False)
    names = _split_names(tmp_path / 'out', 'train') + _split_names(tmp_path / 'out', 'val')
    assert len(names) == 10 and not [n for n in names if n.startswith('normal')]
    assert summary.images['train'][2] == summary.images['val'][2] == 0
    os.rename(tmp_path / 'normal', tmp_path / 'moved')
    convert_busi(str(tmp_path), str(tmp_path / 'again'), drop_normal=True, progress=False)
    with pytest.raises(ConversionError, match=r"\['benign', 'malignant', 'normal'\] not found"):
        convert_busi(str(tmp_path), str(tmp_path / 'third'), progress=False)


def test_every_bad_input_is_named_in_one_error_and_nothing_is_written(tmp_path):
    make_busi_tree(tmp_path / 'src')
    base = tmp_path / 'src' / RELEASE_DIR
    os.remove(base / 'malignant' / 'malignant (2).png')  # its mask is left alone
    os.remove(base / 'benign' / 'benign (4)_mask.png')  # an image without any mask
    Image.new('L', (41, 32)).save(base / 'normal' / 'normal (1)_mask.png')
    Image.new('L', (40, 30)).save(base / 'benign' / 'benign (1)_mask_2.png')  # an extra mask
    out = tmp_path / 'BUSI'
    with pytest.raises(ConversionError) as error:
        convert_busi(str(tmp_path / 'src'), str(out), progress=False)
    message = str(error.value)
    assert '4 problem(s)' in message
    assert 'mask without its image (malignant (2).png): malignant/malignant (2)_mask.png' in message
    assert ('image without a mask (expected benign/benign (4)_mask.png): benign/benign (4).png'
            in message)
    assert "mask size 41x32 differs from its image's 40x32: normal/normal (1)_mask.png" in message
    assert "mask size 40x30 differs from its image's 40x32: benign/benign (1)_mask_2.png" in message
    assert 'restore the files from the release' in message
    assert not osp.lexists(out) and _siblings(out) == []


def test_existing_output_is_kept_without_force_and_replaced_whole_with_it(tmp_path, monkeypatch):
    make_busi_tree(tmp_path / 'src')
    out = tmp_path / 'BUSI'
    out.mkdir()
    (out / 'mine.txt').write_text('keep')
    with pytest.raises(ConversionError, match='already exists; pass --force'):
        convert_busi(str(tmp_path / 'src'), str(out), progress=False)
    assert os.listdir(out) == ['mine.txt'] and _siblings(out) == []

    original, written = busi_module.busi_label, []

    def fail_on_third(root, sample):  # the conversion stops half-way through the files
        written.append(sample)
        if len(written) == 3:
            raise RuntimeError('disk full')
        return original(root, sample)

    with monkeypatch.context() as patch:
        patch.setattr(busi_module, 'busi_label', fail_on_third)
        with pytest.raises(RuntimeError, match='disk full'):
            convert_busi(str(tmp_path / 'src'), str(out), force=True, progress=False)
    assert len(written) == 3
    assert os.listdir(out) == ['mine.txt'] and _siblings(out) == []
    convert_busi(str(tmp_path / 'src'), str(out), force=True, progress=False)
    assert sorted(os.listdir(out)) == ['ann_dir', 'busi_split.json', 'img_dir']


def test_output_that_holds_the_source_is_refused(tmp_path):
    make_busi_tree(tmp_path / 'src')
    for out in (tmp_path / 'src', tmp_path / 'src' / RELEASE_DIR):
        with pytest.raises(ConversionError, match='outside the source'):
            convert_busi(str(tmp_path / 'src'), str(out), force=True, progress=False)
    assert sorted(os.listdir(tmp_path / 'src' / RELEASE_DIR)) == list(BUSI_FOLDERS)


@pytest.mark.parametrize('mode', ['L', 'LA', 'RGB', 'RGBA', 'P', '1', 'I;16'])
def test_mask_modes_any_colour_channel_alpha_ignored(tmp_path, mode):
    lesion = np.zeros((6, 5), dtype=bool)
    lesion[1:4, 2:4] = True
    if mode in ('RGB', 'RGBA'):
        array = np.zeros((6, 5, len(mode)), dtype=np.uint8)
        array[lesion, 1] = 1  # green only, faint
        if mode == 'RGBA':
            array[..., 3] = 255
        image = Image.fromarray(array, mode=mode)
    elif mode == 'LA':
        image = Image.fromarray(
            np.stack([lesion * 200, np.full((6, 5), 255)], -1).astype(np.uint8), mode='LA')
    elif mode == 'P':
        image = Image.fromarray(lesion.astype(np.uint8), mode='P')
        image.putpalette([0, 0, 0, 255, 0, 0])
    else:
        image = Image.fromarray((lesion * 255).astype(np.uint8), mode='L').convert(mode)
    image.save(tmp_path / 'm.png')
    np.testing.assert_array_equal(read_busi_mask(str(tmp_path / 'm.png')), lesion)


def test_output_names_are_traceable_and_safe(tmp_path):
    assert busi_module.output_name('benign', 'benign (12)') == 'benign_012'
    assert busi_module.output_name('malignant', 'malignant (210)') == 'malignant_210'
    assert busi_module.output_name('benign', 'scan 7 (copy)') == 'benign_scan_7_copy'
    make_busi_tree(tmp_path / 'src', counts=(3, 2, 2))
    base = tmp_path / 'src' / RELEASE_DIR / 'benign'
    for suffix in ('', '_mask'):
        Image.new('L', (40, 32)).save(base / f'003{suffix}.png')
    with pytest.raises(
            ConversionError,
            match=r'benign/benign \(3\).png and benign/003.png both become benign_003'):
        convert_busi(str(tmp_path / 'src'), str(tmp_path / 'out'), progress=False)


# The command line as a user runs it, in a fresh interpreter: the table, the files, no host import.
CLI = """
import os, runpy, sys
sys.argv = ['busi.py', {src!r}, {out!r}, '--seed', '1', '--drop-normal']
runpy.run_path(os.path.join({tools!r}, 'dataset_converters', 'busi.py'), run_name='__main__')
print('HOSTS', sorted({{m.split('.')[0] for m in sys.modules}} &
                      {{'mmengine', 'mmcv', 'mmseg', 'mmpretrain'}}))
"""


def test_command_line_end_to_end_without_host_imports(tmp_path):
    make_busi_tree(tmp_path / 'src')
    out = tmp_path / 'BUSI'
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get('PYTHONPATH', ''))
    code = textwrap.dedent(CLI.format(src=str(tmp_path / 'src'), out=str(out), tools=TOOLS))
    proc = subprocess.run([sys.executable, '-c', code],
                          cwd=str(tmp_path),
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    assert 'HOSTS []' in lines and f'wrote {out} (split seed 1)' in lines
    assert [line.split()[:5] for line in lines
            if line.startswith('all')] == [['all', '6', '4', '0', '10']]
    assert 'converting BUSI' in proc.stderr  # the progress bar
    assert json.loads((out / 'busi_split.json').read_text())['seed'] == 1

    again = subprocess.run([
        sys.executable,
        osp.join(TOOLS, 'dataset_converters', 'busi.py'),
        str(tmp_path / 'src'),
        str(out)
    ],
                           cwd=str(tmp_path),
                           env=env,
                           capture_output=True,
                           text=True,
                           timeout=300)
    assert again.returncode == 1 and 'already exists; pass --force' in again.stderr
