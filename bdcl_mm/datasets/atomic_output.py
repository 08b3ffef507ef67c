"""Outputs that appear whole or not at all: a temporary folder next to the output, then a rename.

The temporary folders are hidden siblings of the output named ``.<name>.tmp-<pid>-<random>`` (the
folder being built) and ``.<name>.old-<pid>-<random>`` (a replaced output on its way out). A run
that is killed cannot remove its own, so every new run for the same output first removes those
whose process is gone (and the pid-less ``.<name>.tmp-<random>`` of earlier versions). A published
output gets the mode the user's umask gives a new folder, not the ``0o700`` of ``mkdtemp``.
"""
import contextlib
import os
import os.path as osp
import re
import shutil
import tempfile
from typing import Iterator, List

from bdcl_mm.utils import check_choice

TEMP_TAGS = ('tmp', 'old')


def user_folder_mode() -> int:
    """The mode ``os.makedirs`` would give a new folder under the current umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o777 & ~umask


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    except OverflowError:  # not a pid this system can have
        return False
    return True


def sweep_stale_temp_dirs(out_dir: str) -> List[str]:
    """Remove the temporary siblings of ``out_dir`` left by runs that no longer exist.

    Args:
        out_dir: The output folder whose ``.<name>.tmp-*`` / ``.<name>.old-*`` siblings to check.

    Returns:
        The removed paths.
    """
    out_dir = osp.abspath(out_dir)
    parent, name = osp.split(out_dir)
    if not osp.isdir(parent):
        return []
    pattern = re.compile(rf'^\.{re.escape(name)}\.(?:{"|".join(TEMP_TAGS)})-(?:(\d+)-)?[^-]+$')
    removed = []
    for entry in sorted(os.listdir(parent)):
        match = pattern.match(entry)
        path = osp.join(parent, entry)
        if not match or not osp.isdir(path) or osp.islink(path):
            continue
        if match.group(1) is not None and _process_alive(int(match.group(1))):
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


def make_temp_dir(out_dir: str, tag: str = 'tmp') -> str:
    """Create the hidden temporary sibling of ``out_dir`` (after sweeping stale ones).

    Args:
        out_dir: The output folder the temporary one stands for.
        tag: ``'tmp'`` (being built) or ``'old'`` (being removed).

    Returns:
        The new, empty folder, on the same file system as ``out_dir``.
    """
    check_choice('tag', tag, TEMP_TAGS)
    out_dir = osp.abspath(out_dir)
    parent, name = osp.split(out_dir)
    os.makedirs(parent, exist_ok=True)
    sweep_stale_temp_dirs(out_dir)
    return tempfile.mkdtemp(prefix=f'.{name}.{tag}-{os.getpid()}-', dir=parent)


def replace_path(new_path: str, target: str) -> None:
    """Rename ``new_path`` to ``target``, replacing an existing ``target`` (file or folder).

    The old ``target`` is first renamed into an ``.old-`` sibling, so ``target`` is missing only
    between two renames, and the old content is removed afterwards.
    """
    if not osp.lexists(target):
        os.rename(new_path, target)
        return
    trash = make_temp_dir(target, 'old')
    old = osp.join(trash, 'content')
    os.rename(target, old)
    os.rename(new_path, target)
    shutil.rmtree(trash)


@contextlib.contextmanager
def atomic_output_dir(out_dir: str) -> Iterator[str]:
    """Yield a temporary folder that becomes ``out_dir`` (replacing it) if the block succeeds.

    The temporary folder is removed if the block raises; callers decide beforehand whether an
    existing ``out_dir`` may be replaced.

    Args:
        out_dir: Final output folder.
    """
    out_dir = osp.abspath(out_dir)
    tmp_dir = make_temp_dir(out_dir)
    try:
        yield tmp_dir
        os.chmod(tmp_dir, user_folder_mode())
        replace_path(tmp_dir, out_dir)
    finally:
        if osp.isdir(tmp_dir):
            shutil.rmtree(tmp_dir, ignore_errors=True)
