"""Synthetic thyroid-ultrasound generator: determinism, class balance, appearance cues, CLI."""
import importlib.util
import os
import os.path as osp

import cv2
import numpy as np
import pytest

from bdcl_mm.datasets.synthetic_us import (BENIGN, MALIGNANT, _speckle_image, generate_sample,
                                           sample_rng, write_dataset)
from tests._shared.paths import REPO
from tests._shared.scopes import mmseg_default_scope  # noqa: F401  (autouse)


def load_cli():
    path = osp.join(REPO, 'tools', 'dataset_converters', 'thyroid_us_synth.py')
    spec = importlib.util.spec_from_file_location('thyroid_us_synth_cli', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_same_seed_same_sample_other_seed_other_sample():
    a = generate_sample(sample_rng(3, 'train', 5), 64)
    b = generate_sample(sample_rng(3, 'train', 5), 64)
    c = generate_sample(sample_rng(4, 'train', 5), 64)
    d = generate_sample(sample_rng(3, 'val', 5), 64)
    assert a[0].dtype == np.uint8 and a[1].dtype == np.uint8 and a[0].shape == (64, 64)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0]) and not np.array_equal(a[0], d[0])
    assert set(np.unique(a[1])) <= {0, 1, 2}


def test_class_fractions_and_cues_over_a_set():
    counts = np.zeros(3)
    benign_mean, malignant_mean, tissue_mean, aspect = [], [], [], {BENIGN: [], MALIGNANT: []}
    for i in range(60):
        image, label = generate_sample(sample_rng(0, 'train', i), 96)
        counts += np.bincount(label.ravel(), minlength=3)
        for value, store in ((BENIGN, benign_mean), (MALIGNANT, malignant_mean)):
            mask = label == value
            if mask.sum() > 30:
                store.append(image[mask].mean())
                ys, xs = np.nonzero(mask)
                aspect[value].append((np.ptp(ys) + 1) / (np.ptp(xs) + 1))
        tissue_mean.append(image[label == 0].mean())
    fractions = counts / counts.sum()
    assert 0.88 < fractions[0] < 0.95
    assert 0.03 < fractions[1] < 0.075
    assert 0.015 < fractions[2] < 0.05
    # the cues point the right way on average but overlap (not a trivial threshold)
    assert np.mean(malignant_mean) < np.mean(benign_mean)
    assert max(malignant_mean) > min(benign_mean)
    assert np.median(aspect[MALIGNANT]) > np.median(aspect[BENIGN])
    assert min(aspect[MALIGNANT]) < max(aspect[BENIGN])


def test_speckle_shadowing_and_enhancement_physics():
    size = 128
    echo = np.ones((size, size))
    atten = np.full((size, size), 1.5)
    atten[30:50, 20:40] += 40.0  # strongly attenuating block: posterior shadow below it
    atten[30:50, 80:100] = 0.0  # fluid: posterior enhancement below it
    echo[30:50, 80:100] = 0.02  # anechoic
    image = _speckle_image(np.random.default_rng(0), echo, atten, np.zeros((size, size)))
    image = image.astype(float)
    reference = image[70:110, 50:70].mean()  # same depth, untouched columns
    assert image[70:110, 22:38].mean() < reference - 20
    assert image[70:110, 82:98].mean() > reference + 3
    assert image[32:48, 82:98].mean() < reference - 40  # the fluid itself is dark
    # speckle: a uniform region is grainy, not flat
    assert image[5:25, 5:120].std() > 10


def test_write_dataset_layout_and_overwrite_protection(tmp_path):
    out = str(tmp_path / 'tus')
    fractions = write_dataset(out, 3, 2, size=48, seed=1, progress=False)
    assert abs(fractions.sum() - 1) < 1e-9
    for split, number in (('train', 3), ('val', 2)):
        names = sorted(os.listdir(osp.join(out, 'img_dir', split)))
        assert len(names) == number
        assert names == sorted(os.listdir(osp.join(out, 'ann_dir', split)))
        label = cv2.imread(osp.join(out, 'ann_dir', split, names[0]), cv2.IMREAD_UNCHANGED)
        expected = generate_sample(sample_rng(1, split, 0), 48)[1]
        assert np.array_equal(label, expected)
    with pytest.raises(FileExistsError, match='--force'):
        write_dataset(out, 1, 1, size=48, progress=False)
    user_file = osp.join(out, 'notes.txt')
    with open(user_file, 'w') as f:
        f.write('mine')
    write_dataset(out, 1, 0, size=48, force=True, progress=False)
    assert len(os.listdir(osp.join(out, 'img_dir', 'train'))) == 1
    assert os.listdir(osp.join(out, 'img_dir', 'val')) == []  # old files are gone
    assert open(user_file).read() == 'mine'


def test_cli_prints_fractions_refuses_overwrite_and_writes_grid(tmp_path, capsys):
    cli = load_cli()
    out = str(tmp_path / 'cli')
    grid = str(tmp_path / 'grid.png')
    cli.main([out, '--num-train', '2', '--num-val', '1', '--size', '48', '--seed', '2', '--grid',
              grid])
    printed = capsys.readouterr().out
    for name in ('background', 'benign', 'malignant'):
        assert name in printed
    assert '%' in printed
    assert cv2.imread(grid) is not None
    with pytest.raises(FileExistsError):
        cli.main([out, '--num-train', '1', '--num-val', '0', '--size', '48'])
    with pytest.raises(FileExistsError):  # the grid is not overwritten without --force either
        cli.main([str(tmp_path / 'other'), '--num-train', '1', '--size', '48', '--grid', grid])
    assert not osp.exists(str(tmp_path / 'other'))  # checked before anything is written


def test_bad_arguments():
    with pytest.raises(ValueError, match='size'):
        generate_sample(np.random.default_rng(0), 16)
    with pytest.raises(ValueError, match='split'):
        sample_rng(0, 'holdout', 0)
    with pytest.raises(ValueError, match='nothing to generate'):
        write_dataset('unused', 0, 0)
