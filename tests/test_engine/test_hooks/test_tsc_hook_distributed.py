"""Two gloo processes with different data end each iteration with identical TSC centroids and
assignment, equal to one process that saw the union of their data (BDCLHook's sync function)."""
import torch

from bdcl_mm.engine.hooks import update_bdcl_loss
from bdcl_mm.models.losses import TSCLoss
from tests._shared.distributed import run_gloo

WORLD = 2
CFG = dict(num_classes=4, feat_dim=5, momentum=0.3)


def _data():
    """Per iteration, per rank: (features, labels) or None (that rank has no forward)."""
    g = torch.Generator().manual_seed(0)

    def batch(n, classes):
        labels = torch.tensor(classes)[torch.randint(0, len(classes), (n, ), generator=g)]
        return torch.randn(n, 5, generator=g) + labels[:, None].float(), labels

    return [
        [batch(10, [0, 1, 2]), batch(14, [1, 2, 3])],  # class 0 only on rank 0, class 3 on rank 1
        [batch(12, [0, 1, 2, 3]), batch(9, [0, 3])],
        [batch(11, [0, 1, 2, 3]), None],  # rank 1 idle: contributes zeros
    ]


def _run_iterations(loss, data, rank=None):
    states = []
    for per_rank in data:
        batches = per_rank if rank is None else [per_rank[rank]]
        for batch in batches:
            if batch is not None:
                loss(*batch)
        assert update_bdcl_loss(loss) == 'applied'
        states.append({k: v.clone() for k, v in loss.state_dict().items()})
    return states


def _worker(rank):
    loss = TSCLoss(**CFG).train()
    loss.statistics_consumer_attached = True
    return _run_iterations(loss, _data(), rank)


def test_two_ranks_agree_with_single_process_union():
    ranks = run_gloo(_worker, world_size=WORLD)
    single = TSCLoss(**CFG).train()
    single.statistics_consumer_attached = True
    expected = _run_iterations(single, _data())
    for it, (state0, state1, ref) in enumerate(zip(ranks[0], ranks[1], expected)):
        for key in ref:
            assert torch.equal(state0[key], state1[key]), (it, key)
            torch.testing.assert_close(state0[key], ref[key], rtol=1e-5, atol=1e-6)
    # classes seen by one rank only were initialised on both, and the assignment moved
    assert ranks[0][0]['centroid_valid'].all()
    assignments = {tuple(state['assignment'].tolist()) for state in expected}
    assert assignments != {(0, 1, 2, 3)}
