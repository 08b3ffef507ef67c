"""The BDCL paper's reported numbers (ICASSP 2024, Tables 1-2), shown beside the benchmark rows.

They are the paper's, on its data (ISIC 2019 and Hyper-Kvasir with ResNet-50; the private TUI
thyroid-ultrasound set with HRNetV2-W48 + OCR) and its GPU schedules; the benchmark rows beside
them are CPU-sized runs on other data, so the two are not comparable in level, only in ranking.
"""
from typing import Dict, Optional, Tuple

#: paper row -> (ACC, G-mean, F1) on ISIC 2019 and on Hyper-Kvasir; None where the paper has none.
PAPER_CLS: Dict[str, Tuple[Optional[Tuple[float, float, float]], ...]] = {
    'CE': ((79.12, 78.49, 69.10), (86.66, 60.59, 55.29)),
    'Focal': ((80.44, 80.26, 71.45), (86.80, 61.42, 55.16)),
    'LDAM': ((82.40, 82.25, 74.52), (89.82, 64.17, 59.24)),
    'cRT': ((81.06, 84.16, 72.99), (90.06, 65.74, 59.34)),
    'TSC': ((82.75, 84.26, 76.27), (90.39, 64.01, 58.95)),
    'Bal-Mxp': ((81.55, 82.27, 73.86), (90.48, 64.74, 59.66)),
    'GCL': ((82.60, 81.64, 74.55), (89.77, 66.01, 59.14)),
    'BDCL': ((84.57, 84.96, 76.59), (91.33, 66.05, 60.50)),
}
#: paper row -> TUI mIoU (HRNetV2-W48 + OCR).
PAPER_SEG: Dict[str, float] = {
    'CE': 84.36, 'Focal': 84.89, 'LDAM': 86.05, 'TSC': 86.01, 'Lovasz': 84.39, 'SoftIoU': 85.52,
    'BDCL': 86.89,
}
#: classification benchmark method -> the paper's row it stands for.
CLS_ROWS = {
    'ce': 'CE', 'ce_crt': 'cRT', 'focal': 'Focal', 'ldam_drw': 'LDAM', 'tsc_crt': 'TSC',
    'bal_mixup': 'Bal-Mxp', 'gcl': 'GCL', 'bdcl_balance_crt': 'BDCL',
}
#: segmentation benchmark method -> the paper's row it stands for.
SEG_ROWS = {
    'ce': 'CE', 'ldam': 'LDAM', 'softiou': 'SoftIoU', 'tsc': 'TSC', 'lovasz': 'Lovasz',
    'bdcl': 'BDCL'
}
#: the paper's segmentation rows without a CPU benchmark row, and why.
SEG_ROWS_NOT_RUN = {
    'Focal': ('mmseg 1.2.2\'s FocalLoss (use_sigmoid) fails off CUDA: its CPU path one-hot '
              'encodes the target wrongly'),
}


def seg_rows_not_run() -> str:
    """A line naming the paper's segmentation rows the CPU benchmark has not, with the
    paper's TUI mIoU and the reason."""
    return ' '.join(f'The paper\'s {row} row (TUI mIoU {PAPER_SEG[row]:.2f}) has no CPU run: '
                    f'{why}.' for row, why in SEG_ROWS_NOT_RUN.items())


#: the column headers of the paper's cells.
CLS_HEADER = "paper: ISIC2019 / Hyper-Kvasir ACC, G-mean, F1"
SEG_HEADER = "paper: TUI mIoU"


def _triple(values: Optional[Tuple[float, float, float]]) -> str:
    return '—' if values is None else '/'.join(f'{v:.2f}' for v in values)


def cls_cell(method: str) -> str:
    """The paper's ISIC 2019 and Hyper-Kvasir (ACC/G-mean/F1) for ``method``'s row; ``—`` for a
    row the paper does not have."""
    row = CLS_ROWS.get(method)
    if row is None:
        return '—'
    isic, kvasir = PAPER_CLS[row]
    return f'{row}: {_triple(isic)}; {_triple(kvasir)}'


def seg_cell(method: str) -> str:
    """The paper's TUI mIoU for ``method``'s row; ``—`` for a row the paper does not have."""
    row = SEG_ROWS.get(method)
    return '—' if row is None else f'{row}: {PAPER_SEG[row]:.2f}'
