"""SurfaceDistanceMetric through mmseg's registry, an Evaluator, a real Runner and two processes."""
import csv
import glob
import math
import os.path as osp
import pickle

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.evaluator import Evaluator
from mmengine.runner import Runner
from mmseg.registry import METRICS
from mmseg.structures import SegDataSample
from mmengine.structures import PixelData

from bdcl_mm.evaluation.functional import label_map_scores
from bdcl_mm.seg import SurfaceDistanceMetric
from bdcl_mm.seg.surface_distance_metric import CSV_COLUMNS, TABLE_TITLE
from tests._shared.distributed import run_gloo
from tests._shared.tiny_configs import seg_tool_config
from tests.test_tools.conftest import make_seg_data

CLASSES = ('background', 'benign', 'malignant')


def random_maps(n, size=32, seed=0):
    """``n`` (pred, gt) label maps of blobs of classes 1 and 2, some classes missing."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size]
    out = []
    for _ in range(n):
        maps = []
        for _ in range(2):
            m = np.zeros((size, size), np.int64)
            for c in (1, 2):
                if rng.random() < 0.75:
                    cy, cx, r = rng.integers(4, size - 4, 2).tolist() + [int(rng.integers(2, 8))]
                    m[(yy - cy)**2 + (xx - cx)**2 < r * r] = c
            maps.append(m)
        out.append(tuple(maps))
    return out


def samples(maps, spacing=None, first=0):
    out = []
    for i, (pred, gt) in enumerate(maps):
        meta = dict(img_path=f'img_{first + i:03d}.png')
        if spacing is not None:
            meta['spacing'] = spacing
        s = SegDataSample(metainfo=meta)
        s.pred_sem_seg = PixelData(data=torch.from_numpy(pred)[None])
        s.gt_sem_seg = PixelData(data=torch.from_numpy(gt)[None])
        out.append(s.to_dict())
    return out


def evaluate(maps, item_spacing=None, **kwargs):
    evaluator = Evaluator([dict(type='SurfaceDistanceMetric', **kwargs)])
    evaluator.dataset_meta = dict(classes=CLASSES)
    evaluator.process(samples(maps, item_spacing))
    return evaluator.evaluate(len(maps))


def reference(maps, spacing=None):
    """Per-class means over images computed here from the functional scores."""
    per_class = {c: [label_map_scores(p, g, [c], spacing, 255)[0] for p, g in maps] for c in (1, 2)}
    out = {}
    for c, scores in per_class.items():
        name = CLASSES[c]
        both = [s for s in scores if s.case == 'both']
        out[f'HD95_{name}'] = np.mean([s.hd95 for s in both])
        out[f'ASSD_{name}'] = np.mean([s.assd for s in both])
        out[f'sd_Dice_{name}'] = 100 * np.mean([s.dice for s in scores if s.gt_pixels])
        out[f'missed_{name}'] = sum(s.case == 'pred_empty' for s in scores)
        out[f'false_alarm_{name}'] = sum(s.case == 'gt_empty' for s in scores)
        out[f'undefined_{name}'] = sum(s.case != 'both' for s in scores)
    out['mHD95'] = (out['HD95_benign'] + out['HD95_malignant']) / 2
    return out


def test_registered_in_mmseg_and_builds():
    metric = METRICS.build(dict(type='SurfaceDistanceMetric', spacing=(0.5, 0.5)))
    assert isinstance(metric, SurfaceDistanceMetric) and metric.spacing == (0.5, 0.5)
    assert METRICS.get('SurfaceDistanceMetric') is SurfaceDistanceMetric
    assert METRICS.get('IoUMetric').__module__.startswith('mmseg')


def test_values_are_means_of_the_per_image_scores_with_undefined_counted():
    maps = random_maps(12)
    metrics = evaluate(maps)
    expected = reference(maps)
    for key, value in expected.items():
        assert metrics[key] == pytest.approx(value, rel=1e-12), key
    assert sum(metrics[f'undefined_{c}'] for c in CLASSES[1:]) > 0  # the data has empty cases
    assert 'HD95_background' not in metrics  # background_index=0 is not scored
    assert metrics['sd_mDice'] == pytest.approx(
        (metrics['sd_Dice_benign'] + metrics['sd_Dice_malignant']) / 2)


def test_spacing_per_dataset_and_per_image():
    maps = random_maps(6, seed=1)
    pixels = evaluate(maps)
    mm = evaluate(maps, spacing=0.5)
    assert mm['mHD95'] == pytest.approx(pixels['mHD95'] / 2)
    per_image = evaluate(maps, item_spacing=(0.5, 0.5))
    assert per_image['mHD95'] == pytest.approx(mm['mHD95'])
    anisotropic = evaluate(maps, spacing=(0.3, 0.9))
    assert anisotropic['mASSD'] == pytest.approx(reference(maps, (0.3, 0.9))['ASSD_benign'] / 2 +
                                                 reference(maps, (0.3, 0.9))['ASSD_malignant'] / 2)


def test_mixed_spacing_and_bad_arguments_are_named():
    evaluator = Evaluator([dict(type='SurfaceDistanceMetric')])
    evaluator.dataset_meta = dict(classes=CLASSES)
    maps = random_maps(2)
    evaluator.process(samples(maps[:1], spacing=(0.5, 0.5)) + samples(maps[1:], first=1))
    with pytest.raises(ValueError, match='same unit'):
        evaluator.evaluate(2)
    with pytest.raises(ValueError, match='spacing'):
        SurfaceDistanceMetric(spacing=(1.0, -1.0))
    with pytest.raises(ValueError, match='background_index'):
        bad = Evaluator([dict(type='SurfaceDistanceMetric', background_index=5)])
        bad.dataset_meta = dict(classes=CLASSES)
        bad.process(samples(maps))


def test_csv_holds_every_image_and_class(tmp_path):
    maps = random_maps(5, seed=2)
    path = tmp_path / 'out' / 'per_image.csv'
    metrics = evaluate(maps, per_image_csv=str(path))
    with open(path, newline='') as f:
        rows = list(csv.DictReader(f))
    assert tuple(rows[0]) == CSV_COLUMNS and len(rows) == 5 * 2
    assert [r['image'] for r in rows[:2]] == ['img_000.png'] * 2
    hd = [float(r['hd95']) for r in rows if r['class'] == 'benign' and r['case'] == 'both']
    assert np.mean(hd) == pytest.approx(metrics['HD95_benign'], rel=1e-12)
    assert all(r['unit'] == 'px' for r in rows)
    assert {r['assd'] for r in rows if r['case'] in ('pred_empty', 'gt_empty')} <= {'inf'}
    assert not glob.glob(str(tmp_path / 'out' / '.*'))  # no temporary file left


def test_in_a_runner_beside_iou_metric(tmp_path):
    data = tmp_path / 'data'
    make_seg_data(str(data), num=4)
    config = tmp_path / 'tiny_ocr.py'
    config.write_text(seg_tool_config(data))
    cfg = Config.fromfile(str(config))
    dump = tmp_path / 'preds.pkl'
    cfg.test_evaluator = [
        dict(type='IoUMetric', iou_metrics=['mIoU', 'mDice']),
        dict(type='SurfaceDistanceMetric', per_image_csv='surface.csv'),
        dict(type='DumpResults', out_file_path=str(dump)),
    ]
    cfg.work_dir = str(tmp_path / 'work')
    runner = Runner.from_cfg(cfg)
    metrics = runner.test()
    assert {'mIoU', 'mDice', 'sd_mDice', 'mHD95', 'mASSD', 'undefined_lesion'} <= set(metrics)
    with open(dump, 'rb') as f:
        dumped = pickle.load(f)
    scores = [label_map_scores(d['pred_sem_seg']['data'].squeeze().numpy(),
                               d['gt_sem_seg']['data'].squeeze().numpy(), [1], None, 255)[0]
              for d in dumped]
    both = [s.hd95 for s in scores if s.case == 'both']
    assert metrics['undefined_lesion'] == len(scores) - len(both)
    if both:
        assert metrics['HD95_lesion'] == pytest.approx(np.mean(both), rel=1e-12)
    else:
        assert math.isnan(metrics['HD95_lesion'])
    log_dir = osp.dirname(runner.logger.log_file)
    with open(runner.logger.log_file) as f:
        log = f.read()
    assert 'per class results:' in log and f'{TABLE_TITLE} (px):' in log and 'HD95 (px)' in log
    with open(osp.join(log_dir, 'surface.csv'), newline='') as f:
        assert len(list(csv.DictReader(f))) == 4


def _rank_worker(rank, maps):
    """Rank ``rank`` of 2 processes its DefaultSampler share (indices rank, rank + 2, ...)."""
    evaluator = Evaluator([SurfaceDistanceMetric()])
    evaluator.dataset_meta = dict(classes=CLASSES)
    mine = list(range(rank, len(maps), 2))
    for i in mine:
        evaluator.process(samples([maps[i]], first=i))
    return evaluator.evaluate(len(maps))


def test_two_processes_give_the_values_of_one():
    maps = random_maps(9, seed=3)
    single = evaluate(maps)
    rank0, rank1 = run_gloo(_rank_worker, maps)
    assert rank0 == rank1
    assert set(rank0) == set(single)
    for key, value in single.items():
        assert rank0[key] == value or (math.isnan(value) and math.isnan(rank0[key])), key
