"""Training class counts: images per class (mmpretrain), pixels per class (mmseg), cache, errors."""
import json
import os

import numpy as np
import pytest
from PIL import Image

from bdcl_mm.engine import count_classes
from bdcl_mm.engine.class_counts import count_mask_pixels


def _cls_dataset(tmp_path, labels):
    from mmpretrain.datasets import CustomDataset
    (tmp_path / 'meta').mkdir(exist_ok=True)
    (tmp_path / 'meta' / 'train.txt').write_text(''.join(f'img{i}.png {y}\n'
                                                        for i, y in enumerate(labels)))
    return CustomDataset(data_root=str(tmp_path), ann_file='meta/train.txt', data_prefix='',
                         metainfo=dict(classes=('a', 'b', 'c', 'd')), lazy_init=True)


def _seg_dataset(tmp_path, masks, **kwargs):
    from mmseg.datasets import BaseSegDataset
    for folder in ('img', 'ann'):
        (tmp_path / folder).mkdir(parents=True, exist_ok=True)
    for i, mask in enumerate(masks):
        Image.fromarray(np.zeros(mask.shape + (3, ), np.uint8)).save(tmp_path / 'img' / f'{i}.png')
        Image.fromarray(mask.astype(np.uint8)).save(tmp_path / 'ann' / f'{i}.png')
    return BaseSegDataset(data_root=str(tmp_path), data_prefix=dict(img_path='img',
                                                                    seg_map_path='ann'),
                          img_suffix='.png', seg_map_suffix='.png',
                          metainfo=dict(classes=('bg', 'benign', 'malignant')), **kwargs)


def test_image_counts_from_the_annotation_file(tmp_path):
    labels = [0, 0, 0, 1, 3, 3, 0, 1]
    counts = count_classes(_cls_dataset(tmp_path, labels), 4)
    assert (counts.kind, counts.counts, counts.presence) == ('image', [4, 2, 0, 2], None)


def _masks():
    a = np.zeros((6, 5), np.uint8)
    a[1:3, 1:4] = 1
    a[5, :] = 255
    b = np.zeros((6, 5), np.uint8)
    b[0, 0:2] = 2
    b[4, 4] = 255
    return [a, b]


def test_pixel_counts_ignore_index_presence_and_cache_hit(tmp_path):
    dataset = _seg_dataset(tmp_path / 'data', _masks())
    cache = tmp_path / 'cache'
    ticks = []

    def progress(total):
        ticks.append(total)
        return lambda: ticks.append('tick')

    first = count_classes(dataset, 3, 255, str(cache), progress)
    # a: 30 - 5 ignored = 25 valid, 6 benign; b: 30 - 1 ignored = 29 valid, 2 malignant
    assert first.counts == [19 + 27, 6, 2] and first.presence == [2, 1, 1]
    assert first.source == 'dataset' and ticks == [2, 'tick', 'tick']
    files = os.listdir(cache)
    assert len(files) == 1 and json.loads((cache / files[0]).read_text())['counts'] == first.counts
    again = count_classes(dataset, 3, 255, str(cache), progress)
    assert again.source == 'cache' and again.counts == first.counts and len(ticks) == 3
    # another number of classes is another key; so is a changed mask
    other = count_mask_pixels(dataset, 4, 255, str(cache))
    assert other.source == 'dataset' and other.counts == first.counts + [0]
    mask = _masks()[1]
    mask[3, 3] = 1
    Image.fromarray(mask).save(tmp_path / 'data' / 'ann' / '1.png')
    os.utime(tmp_path / 'data' / 'ann' / '1.png', ns=(1, 1))
    changed = count_classes(dataset, 3, 255, str(cache))
    assert changed.source == 'dataset' and changed.counts[1] == 7
    assert count_classes(dataset, 3, 255, False).source == 'dataset'


def test_reduce_zero_label_and_bad_labels(tmp_path):
    masks = [np.array([[0, 1, 2], [3, 3, 1]], np.uint8)]
    dataset = _seg_dataset(tmp_path / 'z', masks, reduce_zero_label=True)
    assert count_classes(dataset, 3, 255, False).counts == [2, 1, 2]
    bad = _seg_dataset(tmp_path / 'b', [np.array([[0, 7]], np.uint8)])
    with pytest.raises(ValueError, match=r'labels \[7\] outside \[0, 3\)'):
        count_classes(bad, 3, 255, False)


def test_a_dataset_that_gives_no_counts_is_a_clear_error():

    class Plain:

        def __len__(self):
            return 3

    with pytest.raises(ValueError, match='gives none .* class_counts'):
        count_classes(Plain(), 3, who=['LDAMLoss (head.loss_module)'])
