"""ThyroidUSDataset: registry build, cat ids (+ cache), label checks, missing folders."""
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from mmseg.registry import DATASETS

import bdcl_mm.seg  # noqa: F401
from bdcl_mm.datasets.synthetic_us import write_dataset
from bdcl_mm.seg import pair_sizes
from bdcl_mm.seg.thyroid_us_dataset import CACHE_PREFIX

PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', reduce_zero_label=False),
    dict(type='PackSegInputs'),
]


@pytest.fixture
def tui(tmp_path):
    root = str(tmp_path / 'TUI')
    write_dataset(root, 5, 2, size=48, seed=4, progress=False)
    return root


def build(root, split='train', **kwargs):
    cfg = dict(
        _scope_='mmseg',
        type='ThyroidUSDataset',
        data_root=root,
        data_prefix=dict(img_path=f'img_dir/{split}', seg_map_path=f'ann_dir/{split}'),
        pipeline=PIPELINE)
    cfg.update(kwargs)
    return DATASETS.build(cfg)


def test_builds_with_tui_layout_and_loads_samples(tui):
    dataset = build(tui)
    assert len(dataset) == 5 and len(build(tui, 'val')) == 2
    assert dataset.metainfo['classes'] == ('background', 'benign', 'malignant')
    assert len(dataset.metainfo['palette']) == 3
    info = dataset.get_data_info(0)
    assert info['img_path'].endswith('.png') and info['seg_map_path'].endswith('.png')
    assert osp.basename(info['img_path']) == osp.basename(info['seg_map_path'])
    assert info['reduce_zero_label'] is False
    sample = dataset[0]
    assert tuple(sample['inputs'].shape) == (3, 48, 48)
    label = cv2.imread(info['seg_map_path'], cv2.IMREAD_UNCHANGED)
    assert np.array_equal(sample['data_samples'].gt_sem_seg.data[0].numpy(), label)


def test_get_cat_ids_lists_present_classes_and_caches(tui, capsys):
    dataset = build(tui)
    expected = []
    for i in range(len(dataset)):
        label = cv2.imread(dataset.get_data_info(i)['seg_map_path'], cv2.IMREAD_UNCHANGED)
        expected.append(sorted(int(v) for v in np.unique(label)))
    assert [dataset.get_cat_ids(i) for i in range(len(dataset))] == expected
    assert any(len(ids) > 1 for ids in expected)
    assert capsys.readouterr().out.count('5/5') >= 1  # one progress bar for the whole dataset
    dataset.get_cat_ids(3)
    assert '5/5' not in capsys.readouterr().out  # computed once, cached in memory
    assert not [f for f in os.listdir(osp.join(tui, 'ann_dir', 'train'))
                if f.startswith(CACHE_PREFIX)]  # no file unless asked for


def test_cat_ids_cache_file_is_reused_and_never_clobbers(tui):
    dataset = build(tui, cat_ids_cache=True)
    first = [dataset.get_cat_ids(i) for i in range(len(dataset))]
    ann_dir = osp.join(tui, 'ann_dir', 'train')
    caches = [f for f in os.listdir(ann_dir) if f.startswith(CACHE_PREFIX)]
    assert len(caches) == 1
    cache = osp.join(ann_dir, caches[0])
    with open(cache) as f:
        assert json.load(f)['cat_ids'] == first
    # a second dataset reads the file (doctored here to prove it is read, not recomputed)
    with open(cache, 'w') as f:
        json.dump({'format': 'bdcl_mm.cat_ids/1', 'cat_ids': [[0]] * 5}, f)
    assert build(tui, cat_ids_cache=True).get_cat_ids(0) == [0]
    # a file of that name with foreign content is left alone and the ids are recomputed
    with open(cache, 'w') as f:
        f.write('user data')
    assert build(tui, cat_ids_cache=True).get_cat_ids(0) == first[0]
    assert open(cache).read() == 'user data'


def test_label_outside_classes_names_file_and_value(tui):
    bad = osp.join(tui, 'ann_dir', 'train', 'tus_train_00002.png')
    label = cv2.imread(bad, cv2.IMREAD_UNCHANGED)
    label[0, 0] = 3
    label[1, 1] = 255  # ignore is allowed
    cv2.imwrite(bad, label)
    dataset = build(tui)
    with pytest.raises(ValueError, match=r'tus_train_00002\.png.*\[3\]'):
        dataset.get_cat_ids(0)
    with pytest.raises(ValueError, match=r'tus_train_00002\.png.*\[3\]'):
        dataset[2]
    dataset[1]  # other samples load fine
    assert build(tui, check_labels=False)[2] is not None


def test_missing_folder_names_it_and_how_to_generate(tmp_path, tui):
    missing = str(tmp_path / 'nowhere')
    with pytest.raises(FileNotFoundError, match=r'nowhere/img_dir/train.*thyroid_us_synth\.py'):
        build(missing)
    os.remove(osp.join(tui, 'ann_dir', 'train', 'tus_train_00001.png'))
    with pytest.raises(FileNotFoundError, match=r'tus_train_00001\.png'):
        build(tui)
    empty = tmp_path / 'empty'
    for sub in ('img_dir/train', 'ann_dir/train'):
        (empty / sub).mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match='no \\*.png images'):
        build(str(empty))


def test_image_and_label_of_different_sizes_names_the_files(tui, monkeypatch, capsys):
    bad = osp.join(tui, 'ann_dir', 'train', 'tus_train_00003.png')
    label = cv2.imread(bad, cv2.IMREAD_UNCHANGED)
    cv2.imwrite(bad, cv2.resize(label, (40, 48), interpolation=cv2.INTER_NEAREST))
    with pytest.raises(ValueError, match=r"1 of 5 .*tus_train_00003\.png' is 48x48 but its label "
                       r"map '.*ann_dir/train/tus_train_00003\.png' is 40x48"):
        build(tui)
    assert len(build(tui, check_sizes=False)) == 5
    monkeypatch.setattr(pair_sizes, 'PROGRESS_MIN_PAIRS', 2)
    capsys.readouterr()
    assert len(build(tui, 'val')) == 2  # a long list shows a progress bar
    assert '2/2' in capsys.readouterr().out
