"""Check that every image and its label map have the same size, reading only the file headers.

A label map of another size trains silently in mmseg (the random crop cuts both at the image's
coordinates) and crashes validation later with an ``IndexError`` that names no file. This check
runs when a dataset is built, before training, at the cost of opening each file's header with PIL
(no pixel is decoded); a long list shows a progress bar.
"""
import sys
from typing import List, Sequence, Tuple

from mmengine.utils import ProgressBar
from PIL import Image

PROGRESS_MIN_PAIRS = 2000
SHOWN = 3


def header_size(path: str) -> Tuple[int, int]:
    """``(width, height)`` of an image file, from its header."""
    with Image.open(path) as image:
        return image.size


def check_pair_sizes(pairs: Sequence[Tuple[str, str]], owner: str = 'dataset') -> None:
    """Raise unless each ``(image, label map)`` pair has one size.

    Args:
        pairs: ``(image path, label-map path)`` of each sample (local files).
        owner: Who checks, named in the message (e.g. ``'ThyroidUSDataset'``).

    Raises:
        ValueError: naming the first mismatched pairs (files and both sizes) and their count.
    """
    long_list = len(pairs) >= PROGRESS_MIN_PAIRS
    progress = ProgressBar(len(pairs), file=sys.stdout) if long_list else None
    mismatched: List[str] = []
    for image_path, label_path in pairs:
        image, label = header_size(image_path), header_size(label_path)
        if image != label:
            mismatched.append(f'{image_path!r} is {image[0]}x{image[1]} but its label map '
                              f'{label_path!r} is {label[0]}x{label[1]} (width x height)')
        if progress is not None:
            progress.update()
    if mismatched:
        shown = '; '.join(mismatched[:SHOWN])
        more = f' (and {len(mismatched) - SHOWN} more)' if len(mismatched) > SHOWN else ''
        raise ValueError(
            f'{owner}: {len(mismatched)} of {len(pairs)} image / label-map pairs differ in size: '
            f'{shown}{more}. An image and its label map must have the same size: fix or remove '
            f'those pairs.')
