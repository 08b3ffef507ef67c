"""``tools/train.py --resume``: how the flag is read and what it means for the Runner.

Reading the command line (:func:`normalize_resume_args`):

- ``--resume`` alone means *auto*: the latest checkpoint of the work dir;
- ``--resume PATH`` takes ``PATH`` only when it is ``auto`` or an existing checkpoint file; an
  option or a config file (``*.py``, ``*.json``, ``*.yaml``, ``*.yml``) that follows is never
  taken as the path;
- ``--resume=PATH`` always takes ``PATH`` (``auto`` or an existing file);
- a checkpoint path that does not exist is an error saying so.

Meaning (:func:`apply_resume`), written for mmengine 0.10.7's ``Runner.load_or_resume``, where
``resume=True`` with ``load_from`` set resumes the *full* training state from ``load_from``:

- ``--resume PATH``: ``resume=True, load_from=PATH`` (full resume from ``PATH``);
- ``--resume`` (auto) and the work dir has a checkpoint: full resume from it (``load_from`` given
  on the command line is ignored: the run's own state wins);
- ``--resume`` (auto) and the work dir has none: a fresh run that keeps ``load_from`` as *weights*
  (``resume=False``). So a stage-2 (cRT) run started with ``load_from=stage1.pth --resume`` starts
  from stage 1, and a rerun of the same command resumes its own checkpoint (what cluster
  auto-resume wrappers need). Without ``load_from`` the config stays ``resume=True`` and the host
  checks (e.g. :func:`bdcl_mm.cls.config_checks.check_config`) can see a resume that found nothing.
"""
import os.path as osp
from typing import List, Optional, Sequence

from mmengine.config import Config
from mmengine.runner import find_latest_checkpoint

AUTO = 'auto'
FLAG = '--resume'
CONFIG_SUFFIXES = ('.py', '.json', '.yaml', '.yml')


def _is_checkpoint_arg(token: str) -> bool:
    return token == AUTO or (osp.isfile(token) and not token.endswith(CONFIG_SUFFIXES))


def _missing_checkpoint(value: str) -> ValueError:
    return ValueError(
        f'--resume {value}: no such checkpoint file. Give an existing checkpoint '
        f'(--resume path/to/epoch_N.pth), or --resume alone (or --resume auto) for the latest '
        f'checkpoint of the work dir.')


def normalize_resume_args(argv: Sequence[str]) -> List[str]:
    """Rewrite each ``--resume [PATH]`` of ``argv`` as an explicit ``--resume=VALUE``.

    Args:
        argv: Command-line arguments (without the program name).

    Returns:
        list[str]: ``argv`` with ``--resume`` followed by its value in one token, so that argparse
        never takes the next option or the positional config as the checkpoint.

    Raises:
        ValueError: ``--resume`` is followed by a word that is neither ``auto``, an existing file,
            a config file name nor an option (a checkpoint path that does not exist), or
            ``--resume=VALUE`` names no existing file.
    """
    args = list(argv)
    out: List[str] = []
    i = 0
    while i < len(args):
        token = args[i]
        if token.startswith(f'{FLAG}='):
            value = token.split('=', 1)[1]
            if not (value == AUTO or osp.isfile(value)):
                raise _missing_checkpoint(value)
        if token != FLAG:
            out.append(token)
            i += 1
            continue
        following = args[i + 1] if i + 1 < len(args) else None
        if following is not None and _is_checkpoint_arg(following):
            out.append(f'{FLAG}={following}')
            i += 2
            continue
        if (following is not None and not following.startswith('-')
                and not following.endswith(CONFIG_SUFFIXES)):
            raise _missing_checkpoint(following)
        out.append(f'{FLAG}={AUTO}')
        i += 1
    return out


def apply_resume(cfg: Config, resume: Optional[str]) -> None:
    """Set ``cfg.resume`` / ``cfg.load_from`` for ``--resume`` (see the module docstring).

    Args:
        cfg: The config, ``cfg.work_dir`` already set.
        resume: ``None`` (no flag), ``'auto'`` or a checkpoint path.
    """
    if resume is None:
        return
    cfg.resume = True
    if resume != AUTO:
        cfg.load_from = resume
        return
    latest = find_latest_checkpoint(cfg.work_dir) if osp.isdir(cfg.work_dir) else None
    if latest is not None:
        cfg.load_from = latest
    elif cfg.get('load_from'):
        cfg.resume = False
