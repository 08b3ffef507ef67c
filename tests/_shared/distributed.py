"""Two (or more) CPU processes joined in a gloo process group, for the distributed tests."""
import os
import os.path as osp
import pickle
import socket
import tempfile

import torch
import torch.distributed as torch_dist
import torch.multiprocessing as mp

__all__ = ['free_port', 'run_gloo']


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _entry(rank, worker, world_size, port, out_dir, args):
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    torch_dist.init_process_group(
        'gloo', init_method=f'tcp://127.0.0.1:{port}', rank=rank, world_size=world_size)
    try:
        torch.set_num_threads(1)
        result = worker(rank, *args)
    finally:
        torch_dist.destroy_process_group()
    with open(osp.join(out_dir, f'rank{rank}.pkl'), 'wb') as f:
        pickle.dump(result, f)


def run_gloo(worker, *args, world_size=2, start_method='spawn'):
    """Run ``worker(rank, *args)`` on ``world_size`` CPU processes of one gloo group.

    Each process initialises the group (rank, world size and a free local port), runs the worker
    with one torch thread, and tears the group down. An exception in any process fails the call.

    Args:
        worker (callable): A module-level function (picklable for ``'spawn'``); it returns a
            picklable result, e.g. a dict of tensors.
        *args: Further arguments of ``worker``, the same on every rank.
        world_size (int): Number of processes. Defaults to 2.
        start_method (str): ``'spawn'`` (a fresh interpreter per rank) or ``'fork'``.

    Returns:
        list: The workers' results, by rank.
    """
    with tempfile.TemporaryDirectory(prefix='gloo_') as out_dir:
        mp.start_processes(
            _entry,
            args=(worker, world_size, free_port(), out_dir, args),
            nprocs=world_size,
            join=True,
            start_method=start_method)
        results = []
        for rank in range(world_size):
            with open(osp.join(out_dir, f'rank{rank}.pkl'), 'rb') as f:
                results.append(pickle.load(f))
    return results
