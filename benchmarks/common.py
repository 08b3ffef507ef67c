"""Shared pieces of the benchmark scripts: subprocess runs, mmengine logs, statistics, files.

Pure Python + numpy (matplotlib only inside the plotting helpers); nothing here imports a host.
"""
import json
import math
import os
import os.path as osp
import subprocess
import sys
import tempfile
import time
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
RESULTS_DIR = osp.join(REPO_ROOT, 'docs', 'results')


def repo_path(*parts: str) -> str:
    """Absolute path of ``parts`` inside the repository."""
    return osp.join(REPO_ROOT, *parts)


def rel(path: str) -> str:
    """``path`` relative to the repository root when inside it (for printed commands and docs)."""
    path = osp.abspath(path)
    inside = osp.commonpath([path, REPO_ROOT]) == REPO_ROOT
    return osp.relpath(path, REPO_ROOT) if inside else path


def write_json(path: str, data: object) -> None:
    """Write ``data`` as JSON atomically (a temporary file renamed into place)."""
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix='.tmp-', suffix='.json', dir=osp.dirname(osp.abspath(path)))
    with os.fdopen(fd, 'w', encoding='utf-8') as f:
        json.dump(data, f, indent=1, sort_keys=False)
        f.write('\n')
    os.replace(tmp, path)


def read_json(path: str) -> object:
    """Read a JSON file."""
    with open(path, encoding='utf-8') as f:
        return json.load(f)


def write_text(path: str, text: str) -> None:
    """Write a text file atomically."""
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix='.tmp-', dir=osp.dirname(osp.abspath(path)))
    with os.fdopen(fd, 'w', encoding='utf-8') as f:
        f.write(text)
    os.replace(tmp, path)


def subprocess_env(device: str) -> Dict[str, str]:
    """Environment of a run: the repository on ``PYTHONPATH``; CUDA hidden for ``device='cpu'``."""
    if device not in ('cpu', 'cuda'):
        raise ValueError(f"device must be 'cpu' or 'cuda', got {device!r}.")
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join(p for p in (REPO_ROOT, env.get('PYTHONPATH')) if p)
    env.setdefault('MPLBACKEND', 'Agg')
    if device == 'cpu':
        env['CUDA_VISIBLE_DEVICES'] = ''
    return env


def run_logged(cmd: Sequence[str], log_path: str, device: str,
               stderr_path: Optional[str] = None) -> Tuple[int, float]:
    """Run ``cmd`` from the repository root, stdout and stderr to ``log_path``.

    Args:
        cmd: the command line.
        log_path: file that gets the command line, then stdout (and stderr unless
            ``stderr_path`` is given).
        device: 'cpu' or 'cuda' (:func:`subprocess_env`).
        stderr_path: file that gets stderr alone (warnings, tracebacks), so that ``log_path``
            holds only what the command printed as its result.

    Returns:
        tuple[int, float]: exit status and wall time in seconds.
    """
    os.makedirs(osp.dirname(osp.abspath(log_path)), exist_ok=True)
    start = time.perf_counter()
    with open(log_path, 'w', encoding='utf-8') as log:
        log.write('$ ' + ' '.join(cmd) + '\n')
        log.flush()
        if stderr_path is None:
            proc = subprocess.run(list(cmd), cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT,
                                  env=subprocess_env(device), check=False)
        else:
            os.makedirs(osp.dirname(osp.abspath(stderr_path)), exist_ok=True)
            with open(stderr_path, 'w', encoding='utf-8') as err:
                proc = subprocess.run(list(cmd), cwd=REPO_ROOT, stdout=log, stderr=err,
                                      env=subprocess_env(device), check=False)
    return proc.returncode, time.perf_counter() - start


def tail(path: str, lines: int = 25) -> str:
    """The last ``lines`` lines of a text file (for error messages)."""
    try:
        with open(path, encoding='utf-8', errors='replace') as f:
            return ''.join(f.readlines()[-lines:])
    except OSError:
        return ''


def train_command(config: str, work_dir: str, options: Dict[str, object]) -> List[str]:
    """``python tools/train.py CONFIG --work-dir W --cfg-options k=v ...``."""
    cmd = [sys.executable, 'tools/train.py', rel(config), '--work-dir', rel(work_dir)]
    if options:
        cmd.append('--cfg-options')
        cmd += [f'{key}={format_option(value)}' for key, value in options.items()]
    return cmd


def format_option(value: object) -> str:
    """A ``--cfg-options`` value as mmengine's ``DictAction`` parses it."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (list, tuple)):
        return '[' + ','.join(format_option(v) for v in value) + ']'
    return str(value)


def shell_command(cmd: Sequence[str]) -> str:
    """A copy-pasteable command line (``python`` for the interpreter)."""
    parts = ['python' if i == 0 else part for i, part in enumerate(cmd)]
    return ' '.join(p if p and all(c not in p for c in ' "\'[]()') else f"'{p}'" for p in parts)


def log_folders(work_dir: str) -> List[str]:
    """mmengine's timestamped log folders of a work dir, oldest first."""
    if not osp.isdir(work_dir):
        return []
    names = sorted(n for n in os.listdir(work_dir)
                   if n[:8].isdigit() and osp.isdir(osp.join(work_dir, n, 'vis_data')))
    return [osp.join(work_dir, n) for n in names]


def read_scalars(work_dir: str) -> List[dict]:
    """Every record of the newest ``vis_data/scalars.json`` of a work dir (one dict a line)."""
    folders = log_folders(work_dir)
    if not folders:
        raise FileNotFoundError(f'no mmengine log folder with vis_data/ in {work_dir}; did the '
                                'run start?')
    path = osp.join(folders[-1], 'vis_data', 'scalars.json')
    records = []
    with open(path, encoding='utf-8') as f:
        for line in f:
            line = line.strip()
            if line:
                records.append(json.loads(line))
    return records


def last_record_with(records: Iterable[dict], key: str) -> Optional[dict]:
    """The last record that holds ``key`` (e.g. the final validation), or None."""
    found = None
    for record in records:
        if key in record:
            found = record
    return found


def last_checkpoint(work_dir: str) -> str:
    """The checkpoint named by mmengine's ``last_checkpoint`` file in ``work_dir``."""
    marker = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(marker):
        raise FileNotFoundError(f'{marker} not found: the run in {work_dir} saved no checkpoint.')
    with open(marker, encoding='utf-8') as f:
        path = f.read().strip()
    if not osp.isabs(path):
        path = osp.join(REPO_ROOT, path)
    if not osp.isfile(path):
        raise FileNotFoundError(f'{marker} names {path}, which does not exist.')
    return path


def mean_std(values: Sequence[float]) -> Tuple[float, float]:
    """Mean and sample standard deviation (ddof=1; 0 for a single value)."""
    values = [float(v) for v in values]
    if not values:
        raise ValueError('mean_std needs at least one value.')
    mean = sum(values) / len(values)
    if len(values) < 2:
        return mean, 0.0
    var = sum((v - mean)**2 for v in values) / (len(values) - 1)
    return mean, math.sqrt(var)


def fmt_mean_std(values: Sequence[float], digits: int = 2) -> str:
    """``'mean ± std'`` (just the mean for one value)."""
    mean, std = mean_std(values)
    if len(values) < 2:
        return f'{mean:.{digits}f}'
    return f'{mean:.{digits}f} ± {std:.{digits}f}'


def paired_difference(ours: Dict[int, float], theirs: Dict[int, float],
                      confidence: float = 0.95) -> Optional[dict]:
    """Mean of the per-seed differences ``ours - theirs`` with a Student-t interval.

    Only seeds present on both sides count (same seed, same data order: paired runs).

    Args:
        ours: ``{seed: value}`` of the method judged.
        theirs: ``{seed: value}`` of the method it is compared to.
        confidence: two-sided level of the interval.

    Returns:
        dict | None: ``n``, ``seeds``, ``mean``, ``low``, ``high`` and ``verdict`` ('beats' when
        the interval lies above zero, 'worse' below zero, 'no difference shown' otherwise), or
        None with fewer than two paired seeds.
    """
    from scipy.stats import t as student_t
    seeds = sorted(set(ours) & set(theirs))
    if len(seeds) < 2:
        return None
    diffs = [float(ours[s]) - float(theirs[s]) for s in seeds]
    mean, std = mean_std(diffs)
    half = float(student_t.ppf(0.5 + confidence / 2, len(diffs) - 1)) * std / math.sqrt(len(diffs))
    low, high = mean - half, mean + half
    verdict = 'beats' if low > 0 else 'worse' if high < 0 else 'no difference shown'
    return dict(n=len(seeds), seeds=seeds, mean=mean, low=low, high=high, verdict=verdict)


def fmt_paired(diff: Optional[dict], digits: int = 2) -> str:
    """``'+1.20 [-0.30, 2.70]'`` (or an em dash when there is no paired comparison)."""
    if diff is None:
        return '—'
    return f'{diff["mean"]:+.{digits}f} [{diff["low"]:+.{digits}f}, {diff["high"]:+.{digits}f}]'


def spearman(x: Sequence[float], y: Sequence[float]) -> float:
    """Spearman rank correlation (average ranks for ties); nan when a side is constant."""
    import numpy as np

    def ranks(values):
        values = np.asarray(values, dtype=np.float64)
        order = values.argsort(kind='mergesort')
        out = np.empty(len(values))
        out[order] = np.arange(len(values), dtype=np.float64)
        for v in np.unique(values):
            tie = values == v
            out[tie] = out[tie].mean()
        return out

    rx, ry = ranks(x), ranks(y)
    if rx.std() == 0 or ry.std() == 0:
        return float('nan')
    return float(np.corrcoef(rx, ry)[0, 1])


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A GitHub markdown table."""
    lines = ['| ' + ' | '.join(header) + ' |', '| ' + ' | '.join('---' for _ in header) + ' |']
    lines += ['| ' + ' | '.join(str(c) for c in row) + ' |' for row in rows]
    return '\n'.join(lines)


def new_figure(width: float = 7.0, height: float = 4.0, ncols: int = 1):
    """A matplotlib figure (Agg canvas, no pyplot state) and its axes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    figure = Figure(figsize=(width, height))
    FigureCanvasAgg(figure)
    axes = [figure.add_subplot(1, ncols, i + 1) for i in range(ncols)]
    return figure, axes
