"""Procedural thyroid-ultrasound images with nodule masks (pure numpy / scipy / OpenCV).

Each sample is a B-mode image of a transverse neck scan from a linear probe (rows are depth) and a
label map (0 background, 1 benign nodule, 2 malignant nodule). The image is simulated, not drawn:

1. **Echogenicity map** ``E(x, y)``: skin line, subcutaneous fat, strap muscles (darker, striated,
   bright fascia), the thyroid lobe (homogeneous, medium), the carotid artery (anechoic lumen with a
   bright wall), optionally the trachea (a bright arc that blocks sound), deep muscle, and nodules.
2. **Scatterers**: a white Gaussian field scaled by ``E`` (plus strong point reflectors for
   calcifications) and by the one-way depth attenuation ``exp(-cumsum_y alpha(x, y) dy)``, so
   strongly attenuating structures (calcifications, solid malignant tissue, air) cast posterior
   shadows and fluid (cysts, blood) gives posterior enhancement.
3. **Beam**: convolution with a separable radio-frequency point-spread function
   ``h(x, y) = exp(-x^2 / 2 s_x^2) exp(-y^2 / 2 s_y^2) cos(2 pi y / lambda)``, envelope detection
   by quadrature (I/Q) demodulation along depth, time-gain compensation that only partly undoes the
   attenuation, electronic noise, and log compression to a random dynamic range.

Nodules follow the TI-RADS cues but overlap on purpose: benign nodules are smooth, wider than tall,
usually iso/hyperechoic, some with a hypoechoic halo, cystic parts or an eggshell calcification;
malignant nodules are usually irregular or spiculated, taller than wide, hypoechoic, with
micro-calcifications and posterior shadowing; yet some benign nodules are hypoechoic or taller than
wide and some malignant ones are oval, smooth or isoechoic. Over a set the pixels are about
92 / 5 / 3 % background / benign / malignant. A sample depends only on the
``numpy.random.Generator`` it is given.
"""
import glob
import json
import os
import os.path as osp
import shutil
from dataclasses import dataclass
from typing import List, Optional, Tuple

import numpy as np
from scipy import ndimage

from bdcl_mm.utils import check_choice, check_int, check_non_negative_int
from .atomic_output import make_temp_dir, replace_path, user_folder_mode

CLASSES = ('background', 'benign', 'malignant')
META_FILE = 'synthetic_us.json'
BACKGROUND, BENIGN, MALIGNANT = 0, 1, 2

# Per-image nodule counts: P(number of benign nodules = k) and P(malignant = k), and the equivalent
# radius ranges (fraction of the image side); tuned so the pixel fractions come out near 92/5/3 %.
_BENIGN_COUNT_P = (0.30, 0.55, 0.15)
_MALIGNANT_COUNT_P = (0.38, 0.62)
_BENIGN_RADIUS = (0.095, 0.18)
_MALIGNANT_RADIUS = (0.10, 0.17)


@dataclass
class _Nodule:
    """One placed nodule: its label, pixel mask and the parameters that shape its appearance."""

    label: int
    mask: np.ndarray  # (S, S) bool
    core: np.ndarray  # (S, S) bool, the nodule without its halo
    center: Tuple[float, float]  # (y, x), fraction of the side
    radius: float


def _smooth_noise(rng: np.random.Generator, size: int, sigma: float) -> np.ndarray:
    """Zero-mean, unit-std low-frequency noise of shape ``(size, size)``; ``sigma`` in pixels."""
    field = ndimage.gaussian_filter(rng.standard_normal((size, size)), sigma, mode='wrap')
    return (field - field.mean()) / (field.std() + 1e-12)


def _wavy_line(rng: np.random.Generator, x: np.ndarray, base: float, amp: float) -> np.ndarray:
    """A gently undulating depth profile ``base + amp * sin(2 pi f x + phi)`` over columns ``x``."""
    freq = rng.uniform(0.5, 1.5)
    return base + amp * np.sin(2 * np.pi * freq * x + rng.uniform(0, 2 * np.pi))


def _polar_radius(rng: np.random.Generator, theta: np.ndarray, irregular: float,
                  spiculated: bool) -> np.ndarray:
    """Boundary radius ``r(theta) = 1 + sum_k c_k cos(k theta + phi_k)`` (1 for a perfect oval).

    ``irregular`` scales the low harmonics (lobulation); ``spiculated`` adds sharp high-frequency
    spikes.
    """
    radius = np.ones_like(theta)
    for k in range(2, 7):
        radius += irregular * rng.uniform(0, 1) / np.sqrt(k) * np.cos(
            k * theta + rng.uniform(0, 2 * np.pi))
    if spiculated:
        k = int(rng.integers(9, 17))
        spikes = np.maximum(np.cos(k * theta + rng.uniform(0, 2 * np.pi)), 0)**6
        radius += rng.uniform(0.10, 0.22) * spikes
    return radius


def _nodule_shape(rng: np.random.Generator, yy: np.ndarray, xx: np.ndarray, center: Tuple[float,
                                                                                          float],
                  radius: float, aspect: float, malignant: bool) -> np.ndarray:
    """Boolean mask of a nodule; ``aspect`` is height / width (> 1 is taller than wide)."""
    half_w = radius / np.sqrt(aspect)
    half_h = radius * np.sqrt(aspect)
    dy = (yy - center[0]) / half_h
    dx = (xx - center[1]) / half_w
    theta = np.arctan2(dy, dx)
    if malignant:
        smooth = rng.random() < 0.2
        irregular = rng.uniform(0.02, 0.06) if smooth else rng.uniform(0.10, 0.22)
        spiculated = (not smooth) and rng.random() < 0.6
    else:
        irregular = rng.uniform(0.0, 0.05) if rng.random() < 0.85 else rng.uniform(0.08, 0.14)
        spiculated = False
    boundary = _polar_radius(rng, theta, irregular, spiculated)
    return np.hypot(dy, dx) < boundary


def _place_nodules(rng: np.random.Generator, yy: np.ndarray, xx: np.ndarray,
                   thyroid: np.ndarray) -> List[_Nodule]:
    """Place the benign and malignant nodules of one image inside the thyroid, without overlap."""
    labels = [BENIGN] * int(rng.choice(len(_BENIGN_COUNT_P), p=_BENIGN_COUNT_P))
    labels += [MALIGNANT] * int(rng.choice(len(_MALIGNANT_COUNT_P), p=_MALIGNANT_COUNT_P))
    rng.shuffle(labels)
    size = yy.shape[0]
    occupied = np.zeros_like(thyroid)
    inside = ndimage.distance_transform_edt(thyroid) / size  # depth inside the lobe, fraction
    nodules = []
    for label in labels:
        low, high = _MALIGNANT_RADIUS if label == MALIGNANT else _BENIGN_RADIUS
        if label == MALIGNANT:
            aspect = rng.uniform(1.15, 1.7) if rng.random() < 0.65 else rng.uniform(0.7, 1.0)
        else:
            aspect = rng.uniform(0.5, 0.85) if rng.random() < 0.85 else rng.uniform(1.0, 1.25)
        radius = rng.uniform(low, high)
        for _ in range(12):
            candidates = np.argwhere((inside > 0.6 * radius) & ~occupied)
            if len(candidates):
                break
            radius *= 0.85
        if not len(candidates):
            continue
        cy, cx = candidates[rng.integers(len(candidates))] / size
        core = _nodule_shape(rng, yy, xx, (cy, cx), radius, aspect, label == MALIGNANT)
        halo = np.zeros_like(core)
        if label == BENIGN and rng.random() < 0.45:
            halo = ndimage.binary_dilation(core, iterations=max(1, round(0.012 * size))) & ~core
        mask = (core | halo) & thyroid & ~occupied
        if mask.sum() < 4:
            continue
        occupied |= ndimage.binary_dilation(mask, iterations=max(1, round(0.02 * size)))
        nodules.append(_Nodule(label, mask, core & mask, (cy, cx), radius))
    return nodules


def _speckle_image(rng: np.random.Generator, echo: np.ndarray, atten: np.ndarray,
                   points: np.ndarray) -> np.ndarray:
    """Simulate B-mode brightness in ``[0, 255]`` from an echogenicity map.

    Args:
        rng: random generator.
        echo (ndarray): ``(S, S)`` mean backscatter amplitude.
        atten (ndarray): ``(S, S)`` attenuation coefficient per unit depth (image side = 1).
        points (ndarray): ``(S, S)`` extra amplitude of point reflectors (calcifications).

    Returns:
        ndarray: ``(S, S)`` uint8 image.
    """
    size = echo.shape[0]
    scale = size / 256.0
    transmitted = np.exp(-np.cumsum(atten, axis=0) / size)
    scatter = (echo * rng.standard_normal(echo.shape) + points) * transmitted
    sigma_y, sigma_x = rng.uniform(0.8, 1.1) * scale, rng.uniform(1.6, 2.3) * scale
    wavelength = rng.uniform(2.4, 3.0) * scale
    ty = np.arange(-int(np.ceil(3 * sigma_y)), int(np.ceil(3 * sigma_y)) + 1)
    tx = np.arange(-int(np.ceil(3 * sigma_x)), int(np.ceil(3 * sigma_x)) + 1)
    gauss_y = np.exp(-ty**2 / (2 * sigma_y**2))
    lateral = np.exp(-tx**2 / (2 * sigma_x**2))
    rf_lateral = ndimage.convolve1d(scatter, lateral, axis=1, mode='reflect')
    in_phase = ndimage.convolve1d(
        rf_lateral, gauss_y * np.cos(2 * np.pi * ty / wavelength), axis=0, mode='reflect')
    quadrature = ndimage.convolve1d(
        rf_lateral, gauss_y * np.sin(2 * np.pi * ty / wavelength), axis=0, mode='reflect')
    envelope = np.hypot(in_phase, quadrature)
    depth = (np.arange(size) / size)[:, None]
    base_atten = float(np.median(atten))
    envelope *= np.exp(rng.uniform(0.7, 1.0) * base_atten * depth)  # time-gain compensation
    noise = np.abs(rng.standard_normal(echo.shape) + 1j * rng.standard_normal(echo.shape))
    envelope += 0.02 * noise * np.percentile(envelope, 50)
    reference = np.percentile(envelope, 99.9) * rng.uniform(1.3, 2.0)
    dynamic_range = rng.uniform(45.0, 55.0)
    decibel = 20.0 * np.log10(np.maximum(envelope / reference, 1e-12))
    image = np.clip((decibel + dynamic_range) / dynamic_range, 0.0, 1.0)
    return np.round(255.0 * image).astype(np.uint8)


def generate_sample(rng: np.random.Generator, size: int = 256) -> Tuple[np.ndarray, np.ndarray]:
    """Generate one synthetic thyroid-ultrasound image and its label map.

    Args:
        rng (numpy.random.Generator): the only source of randomness (same state, same sample).
        size (int): side ``S`` of the square image in pixels (>= 32).

    Returns:
        tuple[ndarray, ndarray]: ``(image, label)``, both ``(S, S)`` uint8; the label holds 0
        (background), 1 (benign nodule) or 2 (malignant nodule).
    """
    size = check_int('size', size, minimum=32)
    coords = (np.arange(size) + 0.5) / size
    yy, xx = np.meshgrid(coords, coords, indexing='ij')
    x = coords
    texture = _smooth_noise(rng, size, 6.0 * size / 256)

    skin = rng.uniform(0.025, 0.045)
    muscle_top = _wavy_line(rng, x, skin + rng.uniform(0.03, 0.07), 0.012)
    muscle_bottom = muscle_top + _wavy_line(rng, x, rng.uniform(0.10, 0.16), 0.015)
    thyroid_top = muscle_bottom + 0.012
    lobe_cx = rng.uniform(0.42, 0.58)
    lobe_hw = rng.uniform(0.34, 0.44)
    lobe_h = rng.uniform(0.40, 0.52)
    lobe_cy = float(np.mean(thyroid_top)) + lobe_h / 2
    superellipse = ((np.abs(xx - lobe_cx) / lobe_hw)**2.6 +
                    (np.abs(yy - lobe_cy) / (lobe_h / 2))**2.2)
    thyroid = (superellipse < 1.0) & (yy > thyroid_top[None, :])

    side = 1.0 if rng.random() < 0.5 else -1.0  # carotid lateral, trachea medial
    car_r = rng.uniform(0.065, 0.10)
    car_cy = lobe_cy + rng.uniform(-0.04, 0.08)
    car_cx = lobe_cx + side * (lobe_hw + rng.uniform(-0.02, 0.05))
    car_dist = np.hypot(yy - car_cy, xx - car_cx)
    lumen = car_dist < car_r
    wall = (car_dist >= car_r) & (car_dist < car_r + 0.014)
    thyroid &= car_dist > car_r + 0.02

    fat_lobules = _smooth_noise(rng, size, 2.5 * size / 256)
    echo = 0.55 * (1 + 0.12 * texture + 0.25 * np.tanh(fat_lobules))  # fat, soft tissue
    echo[yy < skin] = 1.9
    muscle = (yy > muscle_top[None, :]) & (yy < muscle_bottom[None, :])
    period = rng.uniform(0.012, 0.022)
    tilt = rng.uniform(-0.08, 0.08)
    striation = 1 + 0.45 * np.sin(2 * np.pi * (yy + tilt * xx) / period + 2.0 * texture)
    echo[muscle] = (0.38 * striation)[muscle]
    for line in (muscle_top, muscle_bottom):
        echo[np.abs(yy - line[None, :]) < 0.006] = 1.5
    deep = yy > lobe_cy + lobe_h / 2 + 0.03
    echo[deep & ~thyroid] = (0.5 * (1 + 0.2 * texture))[deep & ~thyroid]
    echo[thyroid] = rng.uniform(0.95, 1.1) * (1 + 0.06 * texture[thyroid])
    capsule = ndimage.binary_dilation(thyroid, iterations=max(1, round(0.006 * size))) & ~thyroid
    echo[capsule] = 1.4
    echo[lumen] = 0.02
    echo[wall] = 2.3

    atten = np.full((size, size), rng.uniform(1.2, 2.2))
    atten[lumen] = 0.2
    points = np.zeros((size, size))
    if rng.random() < 0.5:  # trachea: bright arc, air below it blocks the beam
        tr_cx = lobe_cx - side * (lobe_hw + rng.uniform(0.0, 0.06))
        tr_cy = lobe_cy - rng.uniform(0.0, 0.08)
        tr_r = rng.uniform(0.10, 0.15)
        tr_dist = np.hypot(yy - tr_cy, xx - tr_cx)
        arc = (np.abs(tr_dist - tr_r) < 0.012) & (yy < tr_cy)
        echo[arc] = 2.5
        span = np.clip(tr_r**2 - (xx - tr_cx)**2, 0.0, None)
        air = (np.abs(xx - tr_cx) < tr_r) & (yy > tr_cy - np.sqrt(span) + 0.012)
        atten[air & ~thyroid] = 60.0

    label = np.zeros((size, size), np.uint8)
    for nodule in _place_nodules(rng, yy, xx, thyroid):
        label[nodule.mask] = nodule.label
        halo = nodule.mask & ~nodule.core
        core = nodule.core
        if nodule.label == BENIGN:
            level = rng.uniform(1.1, 1.7) if rng.random() < 0.7 else rng.uniform(0.45, 0.75)
            spongy = _smooth_noise(rng, size, 1.5 * size / 256)
            echo[core] = level * (1 + 0.15 * texture[core] + 0.2 * np.tanh(spongy[core]))
            echo[halo] = 0.12
            if rng.random() < 0.3:  # cystic part: anechoic fluid, posterior enhancement
                cyst = core & (_smooth_noise(rng, size, 3.0 * size / 256) > 0.6)
                echo[cyst] = 0.03
                atten[cyst] = 0.0
            if rng.random() < 0.12:  # eggshell calcification on the upper rim
                rim = core & ~ndimage.binary_erosion(core, iterations=2)
                rim &= yy < nodule.center[0]
                points[rim] = rng.uniform(4.0, 7.0)
                atten[rim] = 180.0
        else:
            level = rng.uniform(0.22, 0.55) if rng.random() < 0.75 else rng.uniform(0.8, 1.05)
            echo[core] = level * (1 + 0.25 * texture[core])
            if rng.random() < 0.55:  # solid fibrotic tissue: posterior acoustic shadowing
                atten[core] += rng.uniform(4.0, 9.0)
            if rng.random() < 0.65:  # micro-calcifications: bright dots with small shadows
                cells = np.argwhere(core)
                count = min(len(cells), int(rng.poisson(6)) + 2)
                dots = cells[rng.choice(len(cells), size=count, replace=False)]
                points[dots[:, 0], dots[:, 1]] = rng.uniform(6.0, 12.0, size=count)
                atten[dots[:, 0], dots[:, 1]] += 120.0
    image = _speckle_image(rng, echo, atten, points)
    return image, label


def sample_rng(seed: int, split: str, index: int) -> np.random.Generator:
    """The generator of sample ``index`` of ``split``: independent of how many samples are made."""
    split_code = {'train': 0, 'val': 1, 'test': 2}
    check_choice('split', split, split_code)
    return np.random.default_rng([int(seed), split_code[split], int(index)])


def class_pixel_fractions(counts: np.ndarray) -> np.ndarray:
    """Normalise per-class pixel counts ``(C,)`` to fractions that sum to 1."""
    counts = np.asarray(counts, dtype=np.float64)
    return counts / max(counts.sum(), 1.0)


def _refuse_existing(out_dir: str, force: bool) -> None:
    """Refuse an existing non-empty ``out_dir`` unless ``force``, and a path that is no folder."""
    if osp.lexists(out_dir) and not osp.isdir(out_dir):
        raise FileExistsError(f'{out_dir!r} exists and is not a folder; choose another output.')
    if osp.isdir(out_dir) and os.listdir(out_dir) and not force:
        raise FileExistsError(
            f'{out_dir!r} already exists and is not empty; refusing to overwrite it. Choose '
            f'another folder, or pass --force to replace its img_dir/, ann_dir/ and '
            f'{META_FILE} (nothing else in it is touched).')


def _publish(tmp_dir: str, out_dir: str) -> None:
    """Move a finished set from ``tmp_dir`` into ``out_dir``; its metadata file goes last.

    An absent or empty ``out_dir`` is replaced by ``tmp_dir`` in one rename (with the user's umask).
    Otherwise only ``img_dir``, ``ann_dir`` and :data:`META_FILE` are replaced, the old metadata
    file first, so that a set without it is never mistaken for a complete one.
    """
    if not osp.isdir(out_dir) or not os.listdir(out_dir):
        if osp.isdir(out_dir):
            os.rmdir(out_dir)
        os.chmod(tmp_dir, user_folder_mode())
        os.rename(tmp_dir, out_dir)
        return
    if osp.lexists(osp.join(out_dir, META_FILE)):
        os.remove(osp.join(out_dir, META_FILE))
    for name in ('img_dir', 'ann_dir', META_FILE):
        replace_path(osp.join(tmp_dir, name), osp.join(out_dir, name))


def write_dataset(out_dir: str,
                  num_train: int,
                  num_val: int,
                  size: int = 256,
                  seed: int = 0,
                  force: bool = False,
                  progress: bool = True) -> np.ndarray:
    """Write a synthetic set in the TUI layout and return its class pixel fractions.

    Layout: ``out_dir/img_dir/{train,val}/tus_<split>_<index>.png`` (8-bit grayscale) and
    ``out_dir/ann_dir/{train,val}/<same name>`` (8-bit, values 0/1/2), plus
    ``out_dir/synthetic_us.json`` with the parameters and fractions. Sample ``i`` of a split
    depends only on ``(seed, split, i)``.

    The set is built in a hidden folder next to ``out_dir`` and moved into place when complete
    (:mod:`bdcl_mm.datasets.atomic_output`), so an interrupted run leaves no partial set and the
    next run removes its temporary folder; :func:`incomplete_reason` checks a set.

    Args:
        out_dir (str): destination folder; must be absent or empty unless ``force``.
        num_train (int): number of training samples (>= 0).
        num_val (int): number of validation samples (>= 0).
        size (int): image side in pixels (>= 32).
        seed (int): base seed.
        force (bool): replace the ``img_dir``/``ann_dir`` of an existing ``out_dir``.
        progress (bool): print a progress line per split.

    Returns:
        ndarray: ``(3,)`` fractions of background / benign / malignant pixels over both splits.
    """
    import cv2
    check_non_negative_int('num_train', num_train)
    check_non_negative_int('num_val', num_val)
    if num_train + num_val == 0:
        raise ValueError('nothing to generate: num_train and num_val are both 0')
    out_dir = osp.abspath(out_dir)
    _refuse_existing(out_dir, force)
    counts = np.zeros(len(CLASSES), np.int64)
    tmp_dir = make_temp_dir(out_dir)
    try:
        for split, number in (('train', num_train), ('val', num_val)):
            img_dir = osp.join(tmp_dir, 'img_dir', split)
            ann_dir = osp.join(tmp_dir, 'ann_dir', split)
            os.makedirs(img_dir)
            os.makedirs(ann_dir)
            for index in range(number):
                image, label = generate_sample(sample_rng(seed, split, index), size)
                name = f'tus_{split}_{index:05d}.png'
                if not (cv2.imwrite(osp.join(img_dir, name), image)
                        and cv2.imwrite(osp.join(ann_dir, name), label)):
                    raise OSError(f'could not write {name} under {tmp_dir!r}')
                counts += np.bincount(label.ravel(), minlength=len(CLASSES))
            if progress:
                print(f'{split}: {number} images of {size}x{size} -> '
                      f'{osp.join(out_dir, "img_dir", split)}', flush=True)
        fractions = class_pixel_fractions(counts)
        meta = dict(
            generator='bdcl_mm.datasets.synthetic_us',
            num_train=num_train,
            num_val=num_val,
            size=size,
            seed=seed,
            classes=list(CLASSES),
            pixel_fractions=[round(float(f), 6) for f in fractions])
        with open(osp.join(tmp_dir, META_FILE), 'w') as f:
            json.dump(meta, f, indent=2)
        _publish(tmp_dir, out_dir)
    finally:
        if osp.isdir(tmp_dir):
            shutil.rmtree(tmp_dir, ignore_errors=True)
    return fractions


def incomplete_reason(out_dir: str) -> Optional[str]:
    """Why ``out_dir`` is not a complete set written by :func:`write_dataset`, or None if it is.

    A complete set has :data:`META_FILE` (written last) and, per split, as many images and labels
    as it records.
    """
    meta_path = osp.join(out_dir, META_FILE)
    if not osp.isfile(meta_path):
        return f'{META_FILE} is missing (an interrupted or older generator run)'
    try:
        with open(meta_path) as f:
            meta = json.load(f)
        expected = {split: int(meta[f'num_{split}']) for split in ('train', 'val')}
    except (ValueError, KeyError, TypeError) as error:
        return f'{META_FILE} is unreadable ({error!r})'
    for split, number in expected.items():
        for kind in ('img_dir', 'ann_dir'):
            folder = osp.join(out_dir, kind, split)
            found = len(glob.glob(osp.join(folder, '*.png'))) if osp.isdir(folder) else 0
            if found != number:
                return f'{kind}/{split} holds {found} images, {META_FILE} records {number}'
    return None


def save_sample_grid(path: str, seed: int = 0, size: int = 256, num: int = 8,
                     force: bool = False) -> None:
    """Save a figure of the first ``num`` training samples that hold a nodule.

    Each sample is shown as image | image with the nodule outlines (benign green, malignant red).
    Refuses to overwrite ``path`` unless ``force``.
    """
    if osp.exists(path) and not force:
        raise FileExistsError(f'{path!r} exists; refusing to overwrite it (pass --force)')
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    samples, index = [], 0
    while len(samples) < num and index < 50 * num:
        image, label = generate_sample(sample_rng(seed, 'train', index), size)
        if label.any():
            samples.append((index, image, label))
        index += 1
    cols = 4
    rows = (len(samples) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 4.0, rows * 2.15), squeeze=False)
    for ax in axes.ravel():
        ax.axis('off')
    for ax, (index, image, label) in zip(axes.ravel(), samples):
        ax.imshow(np.concatenate([image, np.full((size, size // 32), 255, np.uint8), image], 1),
                  cmap='gray', vmin=0, vmax=255)
        offset = size + size // 32
        for value, color in ((BENIGN, 'lime'), (MALIGNANT, 'red')):
            if (label == value).any():
                padded = np.zeros((size, offset + size), bool)
                padded[:, offset:] = label == value
                ax.contour(padded, [0.5], colors=color, linewidths=1.0)
        present = [CLASSES[v] for v in (BENIGN, MALIGNANT) if (label == v).any()]
        ax.set_title(f'train #{index}: ' + ', '.join(present), fontsize=9)
    fig.suptitle(f'Synthetic thyroid ultrasound (bdcl_mm.datasets.synthetic_us, seed {seed}): '
                 f'image | nodule outlines, benign green, malignant red', fontsize=10)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.90, wspace=0.04, hspace=0.18)
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
