"""Cost of the BDCL loss (forward + backward) against the number of anchors N.

Measures, side by side in one run, a naive full-matrix SupCon (the usual masked ``(N, N)``
implementation), BDCL on the full matrix (``chunk_size=None``), BDCL chunked (streaming
log-sum-exp, memory linear in N), all with prototypes and per-class temperatures for BDCL, and
pytorch-metric-learning's ``SupConLoss`` (``pml``, the off-the-shelf peer; install it with
``pip install -r requirements/benchmark.txt``, else its cells read ``n/a``). The ``pml-ours``
column is ``|SupConLoss - BDCL|`` at one temperature for all classes and no prototypes, where the
two are the same loss (neither has SupContrast's ``tau / base_tau`` factor). Under the N table, a
markdown table compares the three losses at the largest N.

Examples::

    python tools/analysis/benchmark_loss.py                 # N = 1k .. 32k, D = 256
    python tools/analysis/benchmark_loss.py --quick         # small N, seconds on a CPU

Peak memory is the extra memory above the inputs during one forward + backward: on CUDA
``torch.cuda.max_memory_allocated``; on a Linux CPU the process's peak resident set (``VmHWM``,
reset through ``/proc/self/clear_refs`` before each step) above its resident set at the start. An
implementation whose memory, extrapolated from the previous N (quadratic for the full-matrix ones,
linear for the chunked one), would not fit in the free memory is skipped at that N and marked
``skip``, so N = 32k does not get the machine's out-of-memory killer involved.
"""
import argparse
import ctypes
import re
import time
from typing import Callable, Dict, List, Optional, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from bdcl_mm.models.losses.functional import bdcl_loss

try:
    from pytorch_metric_learning.losses import SupConLoss
except ImportError:  # a benchmark requirement (requirements/benchmark.txt), not a runtime one
    SupConLoss = None

M_MMAP_THRESHOLD = -3  # mallopt parameter number in glibc's malloc.h
FULL_SIZES = (1024, 2048, 4096, 8192, 16384, 32768)
QUICK_SIZES = (128, 256, 512)


def naive_supcon(features: Tensor, labels: Tensor, tau: float) -> Tensor:
    """Reference SupCon built on the full ``(N, N)`` matrix with masks (no chunking).

    Args:
        features (Tensor): ``(N, D)`` embeddings.
        labels (Tensor): ``(N,)`` classes.
        tau (float): temperature.

    Returns:
        Tensor: ``()`` mean loss over anchors with a positive.
    """
    z = F.normalize(features.float(), dim=1)
    logits = z @ z.t() / tau
    logits = logits - logits.max(dim=1, keepdim=True).values.detach()
    not_self = ~torch.eye(len(labels), dtype=torch.bool, device=labels.device)
    positive = (labels[:, None] == labels[None, :]) & not_self
    log_prob = logits - torch.log((logits.exp() * not_self).sum(dim=1, keepdim=True))
    n_pos = positive.sum(dim=1)
    mean_log_prob = (log_prob * positive).sum(dim=1) / n_pos.clamp(min=1)
    return -mean_log_prob[n_pos > 0].mean()


def pml_supcon(tau: float) -> Optional[Callable[[Tensor, Tensor], Tensor]]:
    """pytorch-metric-learning's ``SupConLoss(temperature=tau)`` as ``(features, labels) ->
    loss``, or None when the package is not installed."""
    return None if SupConLoss is None else SupConLoss(temperature=tau)


def _sync(device: torch.device) -> None:
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def _proc_status_kib(key: str) -> Optional[int]:
    try:
        with open('/proc/self/status', encoding='ascii') as f:
            found = re.search(rf'^{key}:\s+(\d+) kB', f.read(), re.MULTILINE)
    except OSError:
        return None
    return int(found.group(1)) if found else None


def _map_large_cpu_blocks() -> None:
    """Make glibc serve every block of 64 KiB or more by ``mmap`` and give it back on free.

    By default glibc raises its mmap threshold after large frees and then recycles freed heap
    memory, which the resident set does not show; with a fixed threshold the peak resident set
    follows the tensors alive at once. Call it first thing in a fresh process: heap memory freed
    before the call can still be reused. A no-op where glibc is not the C library.
    """
    try:
        libc = ctypes.CDLL('libc.so.6')
    except OSError:
        return
    libc.mallopt(M_MMAP_THRESHOLD, 64 * 1024)


def _reset_cpu_peak() -> Optional[int]:
    """Reset the peak resident set to the current one; return the current one (KiB), or None
    where the kernel does not offer it (then CPU memory is not measured)."""
    try:
        with open('/proc/self/clear_refs', 'w', encoding='ascii') as f:
            f.write('5')
    except OSError:
        return None
    return _proc_status_kib('VmRSS')


def free_memory_mib(device: torch.device) -> Optional[float]:
    """Memory that a measurement may still take: free CUDA memory or ``MemAvailable``."""
    if device.type == 'cuda':
        return torch.cuda.mem_get_info(device)[0] / 2**20
    try:
        with open('/proc/meminfo', encoding='ascii') as f:
            found = re.search(r'^MemAvailable:\s+(\d+) kB', f.read(), re.MULTILINE)
    except OSError:
        return None
    return int(found.group(1)) / 1024 if found else None


def measure(loss_fn: Callable[[Tensor], Tensor], features: Tensor,
            repeats: int) -> Dict[str, Optional[float]]:
    """Median forward+backward time (ms) and peak extra memory (MiB) of ``loss_fn``.

    Args:
        loss_fn (Callable): maps a leaf ``(N, D)`` tensor to a scalar loss.
        features (Tensor): ``(N, D)`` input values.
        repeats (int): timed repetitions after one warm-up.

    Returns:
        dict: ``{'ms': float | None, 'mib': float | None}``; both None when out of memory,
        ``mib`` None where memory cannot be measured.
    """
    device = features.device
    times: List[float] = []
    peak = None
    try:
        for step in range(repeats + 1):
            leaf = features.detach().clone().requires_grad_(True)
            if device.type == 'cuda':
                torch.cuda.empty_cache()
                torch.cuda.reset_peak_memory_stats(device)
                base = torch.cuda.memory_allocated(device)
            else:
                base = _reset_cpu_peak()
            _sync(device)
            start = time.perf_counter()
            loss_fn(leaf).backward()
            _sync(device)
            if step:
                times.append((time.perf_counter() - start) * 1e3)
            if device.type == 'cuda':
                used = (torch.cuda.max_memory_allocated(device) - base) / 2**20
            else:
                high = _proc_status_kib('VmHWM')
                used = None if base is None or high is None else (high - base) / 1024
            if used is not None:
                peak = used if peak is None else max(peak, used)
    except torch.OutOfMemoryError:
        return {'ms': None, 'mib': None}
    times.sort()
    return {'ms': times[len(times) // 2], 'mib': peak}


#: How each implementation's memory grows with N (for the skip guard).
MEMORY_POWER = {'naive': 2, 'full': 2, 'chunked': 1, 'pml': 2}
IMPLEMENTATIONS = ('naive', 'full', 'chunked', 'pml')


def predicted_mib(previous: Optional[Dict[str, object]], name: str, n: int) -> Optional[float]:
    """Extrapolate ``name``'s peak memory at ``n`` from the previous row (None: unknown)."""
    if previous is None or not isinstance(previous.get(f'{name}_mib'), float):
        return None
    scale = (n / previous['N'])**MEMORY_POWER[name]
    return previous[f'{name}_mib'] * scale


def run(sizes: Sequence[int],
        dim: int,
        num_classes: int,
        chunk_size: int,
        repeats: int,
        device: torch.device,
        seed: int = 0,
        memory_fraction: float = 0.7) -> List[Dict[str, object]]:
    """Measure the three implementations for every N; returns one row per N.

    An implementation predicted to need more than ``memory_fraction`` of the free memory is
    skipped at that N (its cells are ``'skip'``, the reason in ``<name>_skip``).
    """
    generator = torch.Generator().manual_seed(seed)
    rows = []
    for n in sizes:
        features = torch.randn(n, dim, generator=generator).to(device)
        # A segmentation-like imbalance: the first class dominates, every class is present.
        weights = torch.tensor([0.9] + [0.1 / max(1, num_classes - 1)] * (num_classes - 1))
        labels = torch.multinomial(weights, n, replacement=True, generator=generator)
        labels[:num_classes] = torch.arange(num_classes)
        labels = labels.to(device)
        taus = (0.05 + 0.1 * torch.rand(num_classes, generator=generator)).to(device)
        protos = F.normalize(torch.randn(num_classes, dim, generator=generator), dim=1).to(device)
        row: Dict[str, object] = {'N': n}
        supcon = pml_supcon(0.1)
        for name, fn in (
            ('naive', lambda f: naive_supcon(f, labels, 0.1)),
            ('full', lambda f: bdcl_loss(f, labels, taus, protos)),
            ('chunked', lambda f: bdcl_loss(f, labels, taus, protos, chunk_size=chunk_size)),
            ('pml', None if supcon is None else lambda f: supcon(f, labels)),
        ):
            if fn is None:
                row[f'{name}_ms'] = row[f'{name}_mib'] = 'n/a'
                continue
            need, free = predicted_mib(rows[-1] if rows else None, name, n), free_memory_mib(device)
            if need is not None and free is not None and need > memory_fraction * free:
                row[f'{name}_ms'] = row[f'{name}_mib'] = 'skip'
                row[f'{name}_skip'] = f'needs ~{need / 1024:.1f} GiB, {free / 1024:.1f} GiB free'
                continue
            result = measure(fn, features, repeats)
            row[f'{name}_ms'] = result['ms']
            row[f'{name}_mib'] = result['mib']
        row['pml_diff'] = None
        if isinstance(row['pml_ms'], float):
            with torch.no_grad():
                equal_tau = torch.full((num_classes, ), 0.1, device=device)
                ours = bdcl_loss(features, labels, equal_tau, chunk_size=chunk_size)
                row['pml_diff'] = abs(float(supcon(features, labels)) - float(ours))
        rows.append(row)
    return rows


def _fmt(value: object, digits: int = 1) -> str:
    if isinstance(value, str):
        return value
    return '-' if value is None else f'{value:.{digits}f}'


def _ratio(a: object, b: object) -> str:
    if not all(isinstance(v, float) for v in (a, b)) or b == 0:
        return '-'
    return f'{a / b:.2f}'


def format_table(rows: Sequence[Dict[str, object]]) -> str:
    """Render the rows as a plain-text table with chunked/naive and full/naive ratios, and a
    note under it for every skipped cell."""
    header = ('N', 'naive ms', 'naive MiB', 'full ms', 'full MiB', 'chunk ms', 'chunk MiB',
              'full/naive t', 'chunk/naive t', 'chunk/naive mem', 'pml ms', 'pml MiB', 'pml-ours')
    lines = [' | '.join(f'{h:>10}' for h in header)]
    notes = []
    for r in rows:
        cells = (str(r['N']), _fmt(r['naive_ms'], 2), _fmt(r['naive_mib']), _fmt(r['full_ms'], 2),
                 _fmt(r['full_mib']), _fmt(r['chunked_ms'], 2), _fmt(r['chunked_mib']),
                 _ratio(r['full_ms'], r['naive_ms']), _ratio(r['chunked_ms'], r['naive_ms']),
                 _ratio(r['chunked_mib'], r['naive_mib']), _fmt(r['pml_ms'], 2),
                 _fmt(r['pml_mib']), '-' if r['pml_diff'] is None else f'{r["pml_diff"]:.1e}')
        lines.append(' | '.join(f'{c:>10}' for c in cells))
        notes += [f'skip: {name} at N={r["N"]} {r[f"{name}_skip"]}'
                  for name in IMPLEMENTATIONS if f'{name}_skip' in r]
    return '\n'.join(lines + notes)


def format_summary(rows: Sequence[Dict[str, object]]) -> str:
    """A markdown table of the losses at the largest N (time, peak memory, ratio to SupConLoss)."""
    last = rows[-1]
    labels = (('pml', 'pytorch-metric-learning `SupConLoss`'), ('full', 'BDCL, full matrix'),
              ('chunked', 'BDCL, chunked'), ('naive', 'naive masked SupCon'))
    lines = [f'Forward + backward at N = {last["N"]}:', '',
             '| loss | time ms | peak MiB | time / SupConLoss | memory / SupConLoss |',
             '| --- | ---: | ---: | ---: | ---: |']
    for name, label in labels:
        lines.append(f'| {label} | {_fmt(last[f"{name}_ms"], 1)} | {_fmt(last[f"{name}_mib"])} | '
                     f'{_ratio(last[f"{name}_ms"], last["pml_ms"])} | '
                     f'{_ratio(last[f"{name}_mib"], last["pml_mib"])} |')
    diffs = [r['pml_diff'] for r in rows if r['pml_diff'] is not None]
    lines += ['', f'max |SupConLoss - BDCL| at equal temperatures, no prototypes: '
              f'{max(diffs):.1e}' if diffs else 'SupConLoss: n/a (pip install -r '
              'requirements/benchmark.txt)']
    return '\n'.join(lines)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--quick',
        action='store_true',
        help=f'small N {QUICK_SIZES}, 2 repeats, chunk 64 (a CPU smoke run)')
    parser.add_argument('--sizes', type=int, nargs='+', help=f'N values (default {FULL_SIZES})')
    parser.add_argument('--dim', type=int, default=256, help='embedding size D')
    parser.add_argument('--classes', type=int, default=3, help='number of classes C')
    parser.add_argument('--chunk-size', type=int, help='anchors per chunk (default 4096)')
    parser.add_argument('--repeats', type=int, help='timed repetitions (default 5)')
    parser.add_argument('--device', default='auto', help="'auto' (cuda if available), 'cpu', ...")
    args = parser.parse_args(argv)
    for name in ('dim', 'classes', 'chunk_size', 'repeats'):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f'--{name.replace("_", "-")} must be positive, got {value}')
    if args.sizes and min(args.sizes) < 2:
        parser.error('--sizes must all be at least 2')
    return args


def main(argv: Optional[Sequence[str]] = None) -> List[Dict[str, object]]:
    args = parse_args(argv)
    device = torch.device((
        'cuda' if torch.cuda.is_available() else 'cpu') if args.device == 'auto' else args.device)
    sizes = args.sizes or (QUICK_SIZES if args.quick else FULL_SIZES)
    chunk = args.chunk_size or (64 if args.quick else 4096)
    repeats = args.repeats or (2 if args.quick else 5)
    if device.type == 'cpu':
        _map_large_cpu_blocks()
    rows = run(sizes, args.dim, args.classes, chunk, repeats, device)
    name = torch.cuda.get_device_name(device) if device.type == 'cuda' else 'cpu'
    print(f'BDCL loss forward+backward on {name}: D={args.dim}, C={args.classes}, '
          f'chunk_size={chunk}, median of {repeats}; memory is the peak above the inputs '
          f'({"CUDA allocator" if device.type == "cuda" else "peak resident set, VmHWM"})')
    print(format_table(rows))
    print()
    print(format_summary(rows))
    return rows


if __name__ == '__main__':
    main()
