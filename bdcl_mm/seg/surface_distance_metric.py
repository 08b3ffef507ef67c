"""``SurfaceDistanceMetric``: per-image Dice, HD95 and ASSD for mmseg evaluators."""
import csv
import math
import os
import os.path as osp
import tempfile
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger, print_log
from mmseg.registry import METRICS
from prettytable import PrettyTable

from bdcl_mm.evaluation.functional import SurfaceScores, check_spacing, label_map_scores
from bdcl_mm.evaluation.functional.surface_distance import Spacing
from bdcl_mm.utils import check_int, check_non_negative_int

#: Columns of the per-image CSV, in order.
CSV_COLUMNS = ('image', 'class', 'dice', 'hd95', 'assd', 'pred_pixels', 'gt_pixels', 'case',
               'unit')
#: The line that precedes the per-class table in the log.
TABLE_TITLE = 'per class surface distances'


@dataclass(frozen=True)
class ImageSurfaceRecord:
    """What one image contributes: its name, spacing and the scores of each scored class.

    Attributes:
        image: The image's file name (``img_path`` basename), or its index when it has none.
        spacing: The pixel spacing used (one value per axis), or ``None`` for pixel units.
        classes: The scored class indices.
        scores: One :class:`~bdcl_mm.evaluation.functional.SurfaceScores` per entry of
            ``classes``.
    """
    image: str
    spacing: Optional[Tuple[float, ...]]
    classes: Tuple[int, ...]
    scores: Tuple[SurfaceScores, ...]


@dataclass(frozen=True)
class ClassSummary:
    """Per-class aggregate over images.

    Attributes:
        dice: Mean per-image Dice over images with ground truth (x100), NaN if none.
        hd95: Mean HD95 over images where both masks are non-empty, NaN if none.
        assd: Mean ASSD over the same images, NaN if none.
        defined: Number of images where both masks are non-empty.
        missed: Images with ground truth and an empty prediction.
        false_alarm: Images with a prediction and no ground truth.
        absent: Images with neither.
    """
    dice: float
    hd95: float
    assd: float
    defined: int
    missed: int
    false_alarm: int
    absent: int

    @property
    def undefined(self) -> int:
        """Images whose HD95 / ASSD are undefined (``missed + false_alarm + absent``)."""
        return self.missed + self.false_alarm + self.absent


def _mean(values: List[float]) -> float:
    return float(np.mean(values)) if values else float('nan')


def summarise_class(scores: Sequence[SurfaceScores]) -> ClassSummary:
    """Aggregate one class's per-image scores: means over defined images, undefined counted."""
    cases = [s.case for s in scores]
    both = [s for s in scores if s.case == 'both']
    return ClassSummary(
        dice=_mean([100.0 * s.dice for s in scores if not math.isnan(s.dice)]),
        hd95=_mean([s.hd95 for s in both]),
        assd=_mean([s.assd for s in both]),
        defined=len(both),
        missed=cases.count('pred_empty'),
        false_alarm=cases.count('gt_empty'),
        absent=cases.count('both_empty'))


def _nanmean(values: List[float]) -> float:
    finite = [v for v in values if not math.isnan(v)]
    return float(np.mean(finite)) if finite else float('nan')


def _run_log_dir() -> Optional[str]:
    """The folder of the current mmengine run's log file (``<work_dir>/<timestamp>``)."""
    log_file = MMLogger.get_current_instance().log_file
    return osp.dirname(osp.abspath(log_file)) if log_file else None


def write_csv_atomic(path: str, rows: List[list]) -> None:
    """Write ``CSV_COLUMNS`` and ``rows`` to ``path`` through a temporary file and a rename."""
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix='.' + osp.basename(path) + '.', dir=folder)
    try:
        with os.fdopen(fd, 'w', newline='', encoding='utf-8') as f:
            writer = csv.writer(f)
            writer.writerow(CSV_COLUMNS)
            writer.writerows(rows)
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


@METRICS.register_module()
class SurfaceDistanceMetric(BaseMetric):
    """Per-image Dice, HD95 and ASSD per class, the boundary metrics of medical segmentation.

    Goes into ``val_evaluator`` / ``test_evaluator`` beside mmseg's ``IoUMetric``::

        val_evaluator = [
            dict(type='IoUMetric', iou_metrics=['mIoU', 'mDice']),
            dict(type='SurfaceDistanceMetric'),
        ]

    Each image's ``pred_sem_seg`` and ``gt_sem_seg`` are scored per class by
    :func:`bdcl_mm.evaluation.functional.label_map_scores` (surfaces, distances and MONAI's
    empty-mask values are defined there). Pixels whose ground truth is ``ignore_index`` are
    removed from both masks' class membership (no class is predicted there), as ``IoUMetric``
    leaves them out of its counts.

    Per class ``c`` the metric returns (keys without prefix unless ``prefix`` is given):

    - ``sd_Dice_<c>``: mean per-image Dice x100 over images with ground truth of ``c`` (an
      empty prediction there scores 0). mmseg's ``mDice`` is a different number: one Dice of
      the pixel counts summed over the whole set.
    - ``HD95_<c>``, ``ASSD_<c>``: means over the images where both masks are non-empty.
    - ``missed_<c>`` (ground truth, empty prediction), ``false_alarm_<c>`` (prediction, no
      ground truth), ``undefined_<c>`` (images without HD95 / ASSD: those two and the images
      with neither): counts, so undefined images are reported instead of averaged.

    and ``sd_mDice``, ``mHD95``, ``mASSD``: the means of the class values over the scored
    (foreground) classes that have one. HD95 and ASSD are in pixels, or in the unit of the
    spacing (``spacing_unit``, millimetres by default) when a spacing is given. A per-class
    table is written to the log, and optionally every per-image value to a CSV.

    Each process keeps one record per image; mmengine gathers them to rank 0 in dataset order,
    so a distributed run gives the numbers of one process.

    Args:
        ignore_index (int, optional): Ground-truth label of unlabelled pixels; ``None``: every
            pixel is labelled. Defaults to 255 (``IoUMetric``'s default).
        background_index (int, optional): Class left out of the scores (the background).
            ``None`` scores every class. Defaults to 0.
        spacing (float | Sequence[float], optional): Pixel spacing of the dataset (one value, or
            ``(row, column)``), in the grid of the evaluated masks (mmseg evaluates at the
            original image size). ``None``: pixel units, unless images carry their own.
        spacing_key (str): Metainfo key of a per-image spacing, which wins over ``spacing``
            (the dataset must put it in the data info and ``PackSegInputs(meta_keys=...)`` must
            keep it). Defaults to ``'spacing'``.
        spacing_unit (str): Name of the spacing's unit in the table. Defaults to ``'mm'``.
        per_image_csv (str, optional): Write every image's per-class values to this CSV
            (columns ``CSV_COLUMNS``) at each evaluation, atomically. A relative path is taken
            inside the run's log folder (``<work_dir>/<timestamp>/``, beside the log), or the
            current folder outside a Runner. Defaults to ``None`` (no file).
        collect_device (str): ``'cpu'`` or ``'gpu'``.
        prefix (str, optional): Key prefix. Defaults to none.
    """

    def __init__(self,
                 ignore_index: Optional[int] = 255,
                 background_index: Optional[int] = 0,
                 spacing: Spacing = None,
                 spacing_key: str = 'spacing',
                 spacing_unit: str = 'mm',
                 per_image_csv: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.ignore_index = check_int('ignore_index', ignore_index, allow_none=True)
        self.background_index = check_non_negative_int(
            'background_index', background_index, allow_none=True)
        self.spacing = check_spacing(spacing, 2)
        if not isinstance(spacing_key, str) or not spacing_key:
            raise ValueError(f'spacing_key must be a metainfo key (a string), got {spacing_key!r}.')
        self.spacing_key = spacing_key
        self.spacing_unit = str(spacing_unit)
        if per_image_csv is not None and (not isinstance(per_image_csv, str) or not per_image_csv):
            raise ValueError(f'per_image_csv must be a file path or None, got {per_image_csv!r}.')
        self.per_image_csv = per_image_csv

    def _scored_classes(self) -> Tuple[List[str], Tuple[int, ...]]:
        names = list((self.dataset_meta or {}).get('classes') or [])
        if not names:
            raise ValueError('SurfaceDistanceMetric needs the dataset classes (dataset_meta '
                             '"classes"); run it through a Runner or set evaluator.dataset_meta.')
        if self.background_index is not None and self.background_index >= len(names):
            raise ValueError(f'background_index={self.background_index} but the dataset has '
                             f'{len(names)} classes; use an index below {len(names)} or None.')
        return names, tuple(c for c in range(len(names)) if c != self.background_index)

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """Score each sample's prediction against its ground truth, per scored class."""
        _, classes = self._scored_classes()
        for sample in data_samples:
            if 'gt_sem_seg' not in sample:
                raise ValueError('SurfaceDistanceMetric needs gt_sem_seg in every sample; a '
                                 'test set without annotations cannot be scored.')
            pred = sample['pred_sem_seg']['data'].squeeze().cpu().numpy()
            gt = sample['gt_sem_seg']['data'].squeeze().cpu().numpy()
            spacing = sample.get(self.spacing_key)
            spacing = self.spacing if spacing is None else check_spacing(spacing, pred.ndim)
            image = sample.get('img_path')
            image = osp.basename(image) if image else str(len(self.results))
            scores = label_map_scores(pred, gt, classes, spacing, self.ignore_index)
            self.results.append(ImageSurfaceRecord(image, spacing, classes, tuple(scores)))

    def _unit(self, records: List[ImageSurfaceRecord]) -> str:
        with_spacing = [r.image for r in records if r.spacing is not None]
        if not with_spacing:
            return 'px'
        if len(with_spacing) < len(records):
            missing = [r.image for r in records if r.spacing is None][:3]
            raise ValueError(f'some images have a pixel spacing and others ({missing}, ...) do '
                             'not; give the dataset spacing as SurfaceDistanceMetric(spacing=...) '
                             'so that every image is measured in the same unit.')
        return self.spacing_unit

    def compute_metrics(self, results: List[ImageSurfaceRecord]) -> Dict[str, float]:
        """Per-class and mean values over all images; logs the table, writes the CSV."""
        if not results:
            raise ValueError('SurfaceDistanceMetric got no image to evaluate.')
        names, classes = self._scored_classes()
        unit = self._unit(results)
        summaries = {c: summarise_class([r.scores[r.classes.index(c)] for r in results])
                     for c in classes}
        metrics: Dict[str, float] = {
            'sd_mDice': _nanmean([s.dice for s in summaries.values()]),
            'mHD95': _nanmean([s.hd95 for s in summaries.values()]),
            'mASSD': _nanmean([s.assd for s in summaries.values()]),
        }
        for c, s in summaries.items():
            metrics.update({
                f'sd_Dice_{names[c]}': s.dice,
                f'HD95_{names[c]}': s.hd95,
                f'ASSD_{names[c]}': s.assd,
                f'missed_{names[c]}': s.missed,
                f'false_alarm_{names[c]}': s.false_alarm,
                f'undefined_{names[c]}': s.undefined,
            })
        print_log(f'{TABLE_TITLE} ({unit}):', logger='current')
        print_log('\n' + format_surface_table(names, summaries, unit), logger='current')
        if self.per_image_csv is not None:
            path = self._csv_path()
            write_csv_atomic(path, csv_rows(results, names, unit))
            print_log(f'per-image surface distances written to {path}', logger='current')
        return metrics

    def _csv_path(self) -> str:
        if osp.isabs(self.per_image_csv):
            return self.per_image_csv
        return osp.join(_run_log_dir() or os.getcwd(), self.per_image_csv)


def format_surface_table(names: Sequence[str], summaries: Dict[int, ClassSummary],
                         unit: str) -> str:
    """The per-class table of the log (PrettyTable, like ``IoUMetric``'s)."""
    table = PrettyTable()
    table.field_names = ['Class', 'Dice', f'HD95 ({unit})', f'ASSD ({unit})', 'images',
                         'missed', 'false alarm', 'absent']
    for c, s in summaries.items():
        table.add_row([names[c], f'{s.dice:.2f}', f'{s.hd95:.2f}', f'{s.assd:.2f}', s.defined,
                       s.missed, s.false_alarm, s.absent])
    return table.get_string()


def csv_rows(records: List[ImageSurfaceRecord], names: Sequence[str], unit: str) -> List[list]:
    """One row per image and scored class, in ``CSV_COLUMNS`` order (``repr`` of floats, so
    NaN and infinity read back as ``nan`` / ``inf``)."""
    return [[r.image, names[c], repr(s.dice), repr(s.hd95), repr(s.assd), s.pred_pixels,
             s.gt_pixels, s.case, unit] for r in records for c, s in zip(r.classes, r.scores)]
