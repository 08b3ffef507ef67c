"""Harmless perturbations of a benchmark run, for measuring the benchmarks' noise floor.

A perturbed run is the same method, settings, data order and seed as a committed run, with one
change that leaves the mathematics alone. Its results live apart from the main runs: under
``RESULTS/noise/<name>/runs/...`` (:func:`runs_root`), and its settings carry ``perturb=<name>``,
so their key never equals a main run's key (benchmarks/noise_floor.py pairs the two).
"""
import json
import os.path as osp
from dataclasses import dataclass
from typing import Dict, Optional


@dataclass(frozen=True)
class Perturbation:
    """One harmless change of a run.

    Attributes:
        name: the ``--perturb`` value, also the folder of its runs.
        threads: OpenMP / MKL / torch intra-op threads of the training subprocess (the main runs
            use 1).
        description: what it changes, for the pages.
    """
    name: str
    threads: int
    description: str

    def env(self) -> Dict[str, str]:
        """Environment variables set on the training subprocess (torch reads its intra-op
        thread count from ``OMP_NUM_THREADS`` at start-up)."""
        return {'OMP_NUM_THREADS': str(self.threads), 'MKL_NUM_THREADS': str(self.threads)}


PERTURBATIONS: Dict[str, Perturbation] = {
    'threads2': Perturbation(
        'threads2', 2,
        'two CPU threads per training process (OMP_NUM_THREADS=2, MKL_NUM_THREADS=2, so torch '
        'uses 2 intra-op threads) instead of one. The model, data, seed and schedule are the '
        'same; only the way the CPU kernels split their reductions between threads changes, '
        'that is the order of floating-point sums, so results differ in the last bits of some '
        'operations and then wherever training amplifies those bits.'),
}


def get(name: str) -> Perturbation:
    """The perturbation called ``name``; a ValueError names the known ones."""
    if name not in PERTURBATIONS:
        raise ValueError(f'unknown perturbation {name!r}; choose from {sorted(PERTURBATIONS)}.')
    return PERTURBATIONS[name]


def env_of(name: Optional[str]) -> Dict[str, str]:
    """Subprocess environment overrides of perturbation ``name`` (none for an unperturbed run)."""
    return {} if name is None else get(name).env()


def record_of(name: Optional[str]) -> dict:
    """What a run JSON records of its perturbation: ``{'perturbation': {name, threads, env}}``,
    or nothing for an unperturbed run (whose JSON stays as it was)."""
    if name is None:
        return {}
    p = get(name)
    return {'perturbation': {'name': p.name, 'threads': p.threads, 'env': p.env()}}


def command_line(command: str, name: Optional[str]) -> str:
    """``command`` prefixed with perturbation ``name``'s environment (unchanged without one)."""
    env = env_of(name)
    return ' '.join([f'{k}={v}' for k, v in env.items()] + [command])


def runs_root(results_dir: str, name: str) -> str:
    """The results folder of perturbation ``name``'s runs: ``RESULTS/noise/<name>``."""
    return osp.join(results_dir, 'noise', get(name).name)


def unperturbed_key(settings: dict) -> str:
    """The settings key a run of ``settings`` (a run JSON's ``settings``) would have without its
    perturbation: the key of the main run it is paired with."""
    return json.dumps({k: v for k, v in settings.items() if k != 'perturb'}, sort_keys=True)
