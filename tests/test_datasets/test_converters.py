"""Dataset converters on small fake trees, bad inputs, and Fashion-MNIST-LT on Debian's files."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from bdcl_mm.datasets.converters import (FASHION_MNIST_CLASSES, HYPER_KVASIR_CLASSES,
                                         HYPER_KVASIR_TREE, ISIC2019_CLASSES, ConversionError,
                                         convert_fmnist_lt, convert_hyper_kvasir, convert_isic2019,
                                         find_fashion_mnist, long_tail_counts, stratified_split)
from tests._shared.paths import REPO

HEADER = 'image,MEL,NV,BCC,AK,BKL,DF,VASC,SCC,UNK\n'


def make_isic(root, counts=(10, 30, 5, 4, 6, 2, 3, 2), rows=None):
    images = root / 'ISIC_2019_Training_Input'
    images.mkdir(parents=True)
    lines, n = [], 0
    for cls, count in enumerate(counts):
        for _ in range(count):
            flags = ['0.0'] * 9
            flags[cls] = '1.0'
            lines.append(f'ISIC_{n:07d},' + ','.join(flags) + '\n')
            (images / f'ISIC_{n:07d}.jpg').write_bytes(b'jpeg')
            n += 1
    (images / 'LICENSE.txt').write_text('licence')
    (root / 'ISIC_2019_Training_GroundTruth.csv').write_text(HEADER + ''.join(rows or lines))
    return lines


def read_split(out, split):
    lines = (out / 'meta' / f'{split}.txt').read_text().splitlines()
    return [(line.rsplit(' ', 1)[0], int(line.rsplit(' ', 1)[1])) for line in lines]


def test_isic_conversion_is_stratified_seeded_and_loads_in_mmpretrain(tmp_path):
    make_isic(tmp_path / 'src')
    out = tmp_path / 'isic'
    table = convert_isic2019(str(tmp_path / 'src'), str(out), seed=3)
    assert 'MEL' in table and 'total' in table
    train, val = read_split(out, 'train'), read_split(out, 'val')
    info = json.loads((out / 'meta' / 'split_info.json').read_text())
    assert info['seed'] == 3 and info['classes'] == list(ISIC2019_CLASSES)
    assert info['val_counts'] == [2, 6, 1, 1, 1, 1, 1, 1]  # round(0.2 n), at least 1
    assert [a + b for a, b in zip(info['train_counts'], info['val_counts'])] == \
        [10, 30, 5, 4, 6, 2, 3, 2]
    assert not {p for p, _ in train} & {p for p, _ in val}
    assert (out / 'meta' / 'classes.txt').read_text().split() == list(ISIC2019_CLASSES)
    assert os.path.islink(out / 'images')
    assert (out / 'images' / train[0][0]).read_bytes() == b'jpeg'

    again = tmp_path / 'again'
    convert_isic2019(str(tmp_path / 'src'), str(again), seed=3)
    assert read_split(again, 'val') == val
    other = tmp_path / 'other'
    convert_isic2019(str(tmp_path / 'src'), str(other), seed=4, copy=True)
    assert read_split(other, 'val') != val
    assert not os.path.islink(other / 'images') and (other / 'images' / val[0][0]).is_file()

    from mmpretrain.datasets import CustomDataset
    dataset = CustomDataset(
        data_root=str(out),
        ann_file='meta/train.txt',
        data_prefix='images',
        metainfo=dict(classes=ISIC2019_CLASSES),
        pipeline=[])
    assert len(dataset) == len(train) and dataset.get_cat_ids(0) == [train[0][1]]


@pytest.mark.parametrize('row, message', [
    ('ISIC_9,0,0,0,0,0,0,0,0,0\n', 'ISIC_9 has no class'),
    ('ISIC_9,1,0,0,0,0,0,1,0,0\n', r"ISIC_9 has several classes \['MEL', 'VASC'\]"),
    ('ISIC_9,0,0,0,0,0,0,0,0,1\n', 'ISIC_9 is labelled UNK'),
    ('ISIC_9,0,0.5,0,0,0,0,0,0,0\n', "column NV holds '0.5'"),
])
def test_isic_bad_rows_stop_without_output(tmp_path, row, message):
    lines = make_isic(tmp_path / 'src')
    (tmp_path / 'src' /
     'ISIC_2019_Training_GroundTruth.csv').write_text(HEADER + ''.join(lines[:5]) + row +
                                                      ''.join(lines[5:]))
    with pytest.raises(ConversionError, match=f'line 7: .*{message}'):
        convert_isic2019(str(tmp_path / 'src'), str(tmp_path / 'out'))
    assert sorted(os.listdir(tmp_path)) == ['src']


def test_isic_missing_image_and_existing_output(tmp_path):
    make_isic(tmp_path / 'src')
    os.remove(tmp_path / 'src' / 'ISIC_2019_Training_Input' / 'ISIC_0000004.jpg')
    with pytest.raises(ConversionError, match='ISIC_0000004.jpg'):
        convert_isic2019(str(tmp_path / 'src'), str(tmp_path / 'out'))
    assert sorted(os.listdir(tmp_path)) == ['src']

    (tmp_path / 'src' / 'ISIC_2019_Training_Input' / 'ISIC_0000004.jpg').write_bytes(b'jpeg')
    out = tmp_path / 'out'
    out.mkdir()
    (out / 'mine.txt').write_text('user data')
    with pytest.raises(ConversionError, match='--force'):
        convert_isic2019(str(tmp_path / 'src'), str(out))
    assert (out / 'mine.txt').read_text() == 'user data'
    convert_isic2019(str(tmp_path / 'src'), str(out), force=True)
    assert not (out / 'mine.txt').exists() and (out / 'meta' / 'train.txt').exists()
    assert sorted(os.listdir(tmp_path)) == ['out', 'src']


def make_kvasir(root, per_class=3):
    for tract, category, name in HYPER_KVASIR_TREE:
        folder = root / 'labeled-images' / tract / category / name
        folder.mkdir(parents=True)
        for i in range(per_class + (5 if name == 'polyps' else 0)):
            (folder / f'{name}-{i}.jpg').write_bytes(b'jpeg')
    (root / 'labeled-images' / 'image-labels.csv').write_text('ignored')


def test_hyper_kvasir_conversion(tmp_path):
    make_kvasir(tmp_path / 'src')
    out = tmp_path / 'kvasir'
    convert_hyper_kvasir(str(tmp_path / 'src'), str(out), seed=0)
    info = json.loads((out / 'meta' / 'split_info.json').read_text())
    assert info['classes'] == list(HYPER_KVASIR_CLASSES) and len(info['classes']) == 23
    polyps = HYPER_KVASIR_CLASSES.index('polyps')
    assert info['train_counts'][polyps] == 6 and info['val_counts'][polyps] == 2
    train = read_split(out, 'train')
    path, label = train[0]
    assert path.split('/')[2] == HYPER_KVASIR_CLASSES[label]
    assert (out / 'images' / path).is_file()


@pytest.mark.parametrize('folder, message', [
    ('labeled-images/__MACOSX', 'unknown Hyper-Kvasir tract folder: .*__MACOSX'),
    ('labeled-images/lower-gi-tract/misc', 'unknown Hyper-Kvasir category folder: .*misc'),
    ('labeled-images/upper-gi-tract/pathological-findings/polyps', 'class folder: .*polyps'),
    ('labeled-images/upper-gi-tract/anatomical-landmarks/z-line/extra', 'unexpected folder'),
])
def test_hyper_kvasir_unknown_folder_stops(tmp_path, folder, message):
    make_kvasir(tmp_path / 'src')
    (tmp_path / 'src' / folder).mkdir()
    with pytest.raises(ConversionError, match=message):
        convert_hyper_kvasir(str(tmp_path / 'src'), str(tmp_path / 'out'))
    assert sorted(os.listdir(tmp_path)) == ['src']


def test_hyper_kvasir_missing_class(tmp_path):
    make_kvasir(tmp_path / 'src')
    folder = tmp_path / 'src/labeled-images/lower-gi-tract/anatomical-landmarks/ileum'
    for f in folder.iterdir():
        f.unlink()
    with pytest.raises(ConversionError, match="'ileum'"):
        convert_hyper_kvasir(str(tmp_path / 'src'), str(tmp_path / 'out'))


def test_cli_reports_errors_in_one_line(tmp_path):
    make_isic(tmp_path / 'src')
    (tmp_path / 'out').mkdir()
    result = subprocess.run([
        sys.executable,
        os.path.join(REPO, 'tools/dataset_converters/isic2019.py'),
        str(tmp_path / 'src'),
        str(tmp_path / 'out')
    ],
                            capture_output=True,
                            text=True)
    assert result.returncode == 1
    assert result.stderr.strip().startswith('error: output folder') and '--force' in result.stderr


def test_stratified_split_and_profile_maths():
    labels = np.repeat(np.arange(3), [50, 9, 1])
    train, val = stratified_split(labels, 3, 0.2, seed=0)
    assert np.bincount(labels[val], minlength=3).tolist() == [10, 2, 0]
    assert sorted(np.concatenate([train, val]).tolist()) == list(range(60))
    # the CIFAR-10-LT class sizes at imbalance ratio 100 (Cao et al., 2019)
    assert long_tail_counts(5000, 10, 100) == [5000, 2997, 1796, 1077, 645, 387, 232, 139, 83, 50]


@pytest.mark.skipif(
    find_fashion_mnist() is None,
    reason='Debian package dataset-fashion-mnist is not installed '
    '(apt-get install dataset-fashion-mnist)')
@pytest.mark.parametrize('order, head_to_tail', [('natural', list(range(10))),
                                                 ('hard-tail', [1, 3, 5, 7, 8, 9, 6, 2, 4, 0])])
def test_fashion_mnist_lt_on_debian_files(tmp_path, order, head_to_tail):
    out = tmp_path / order
    convert_fmnist_lt(str(out), ratio=10, order=order, seed=0, n_max=40, test_per_class=3)
    info = json.loads((out / 'meta' / 'split_info.json').read_text())
    profile = [int(np.floor(40 * 10**(-p / 9) + 1e-6)) for p in range(10)]
    assert profile[0] == 40 and profile[-1] == 4
    expected = [0] * 10
    for position, cls in enumerate(head_to_tail):
        expected[cls] = profile[position]
    assert info['train_counts'] == expected
    assert info['test_counts'] == [3] * 10
    assert info['classes'] == list(FASHION_MNIST_CLASSES) and info['order'] == order
    import cv2
    path, label = read_split(out, 'train')[0]
    image = cv2.imread(str(out / 'images' / path), cv2.IMREAD_UNCHANGED)
    assert image.shape == (28, 28) and image.dtype == np.uint8
    again = tmp_path / 'again'
    convert_fmnist_lt(str(again), ratio=10, order=order, seed=0, n_max=40, test_per_class=3)
    assert read_split(again, 'train') == read_split(out, 'train')
