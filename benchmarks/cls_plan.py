"""What the classification benchmark runs: methods, stage-1 configs, settings, file layout.

The two-stage recipe on Fashion-MNIST-LT (docs/method.md, "Tasks"): a stage-1 run (CE, SCL, BDCL
or a BDCL variant) and, for the ``+ cRT`` methods, a stage-2 run that re-trains the classifier with
class-balanced sampling on the frozen stage-1 backbone. Methods that share a stage 1 (CE and
CE + cRT) share its run.
"""
import functools
import inspect
import json
import os.path as osp
from dataclasses import asdict, dataclass, field
from typing import Dict, List, Optional

from .common import repo_path

#: TDL rules whose ``tdl_lr`` is a gradient step size (``--tdl-lr`` applies to them).
GRADIENT_RULES = ('paper', 'descent', 'ascent')

CFG_DIR = repo_path('configs', 'fmnist_lt')

#: stage-1 key -> its config; the method's switches (the BDCL loss's ``tdl``,
#: ``use_prototypes``) are the config's own (:func:`stage1_tdl` reads the rule from it).
STAGE1: Dict[str, str] = {
    'ce': 'ce_resnet18s_200e_fmnist-lt-28.py',
    'scl': 'scl_resnet18s_stage1-200e_fmnist-lt-28.py',
    'bdcl': 'bdcl-tdl-paper_resnet18s_stage1-200e_fmnist-lt-28.py',
    'bdcl_descent': 'bdcl-tdl-descent_resnet18s_stage1-200e_fmnist-lt-28.py',
    'bdcl_ascent': 'bdcl-tdl-ascent_resnet18s_stage1-200e_fmnist-lt-28.py',
    'bdcl_balance': 'bdcl_resnet18s_stage1-200e_fmnist-lt-28.py',
    'bdcl_wo_tdl': 'bdcl-wo-tdl_resnet18s_stage1-200e_fmnist-lt-28.py',
    'bdcl_wo_hep': 'bdcl-wo-hep_resnet18s_stage1-200e_fmnist-lt-28.py',
    # the paper's rivals LDAM-DRW (one stage) and GCL (stage 1; its stage 2 in STAGE2_CONFIGS)
    'focal': 'focal_resnet18s_200e_fmnist-lt-28.py',
    'ldam_drw': 'ldam-drw_resnet18s_200e_fmnist-lt-28.py',
    'gcl': 'gcl_resnet18s_stage1-200e_fmnist-lt-28.py',

    'tsc': 'tsc_resnet18s_stage1-200e_fmnist-lt-28.py',
    'bal_mixup': 'bal-mixup_resnet18s_200e_fmnist-lt-28.py',
}
STAGE2_CONFIGS = {
    'ce': 'ce_resnet18s_stage2-crt-10e_fmnist-lt-28.py',
    'default': 'crt_resnet18s_stage2-10e_fmnist-lt-28.py',
    'gcl': 'gcl_resnet18s_stage2-crt-10e_fmnist-lt-28.py',
}


@dataclass(frozen=True)
class Method:
    """A row of the results table."""
    label: str
    stage1: str
    crt: bool


#: Methods in table order (the sweep's priority order too).
METHODS: Dict[str, Method] = {
    'ce': Method('CE', 'ce', False),
    'ce_crt': Method('CE + cRT', 'ce', True),
    'scl_crt': Method('SCL + cRT', 'scl', True),
    'bdcl_crt': Method('BDCL + cRT (TDL paper)', 'bdcl', True),
    'bdcl_descent_crt': Method('BDCL + cRT (TDL descent)', 'bdcl_descent', True),
    'bdcl_balance_crt': Method('BDCL + cRT (TDL balance, default)', 'bdcl_balance', True),
    'bdcl_ascent_crt': Method('BDCL + cRT (TDL ascent)', 'bdcl_ascent', True),
    'bdcl_wo_tdl_crt': Method('BDCL w/o TDL + cRT', 'bdcl_wo_tdl', True),
    'bdcl_wo_hep_crt': Method('BDCL w/o HEP + cRT (TDL balance)', 'bdcl_wo_hep', True),
    'focal': Method('Focal', 'focal', False),
    'ldam_drw': Method('LDAM-DRW', 'ldam_drw', False),
    'gcl': Method('GCL (two-stage)', 'gcl', True),

    'tsc_crt': Method('TSC + cRT', 'tsc', True),
    'bal_mixup': Method('Balanced-MixUp', 'bal_mixup', False),
}
BASELINES = ('ce', 'ce_crt', 'scl_crt')
#: The BDCL row judged against the baselines: the plugin's default rule (BDCLLoss's ``tdl``).
BDCL_METHOD = 'bdcl_balance_crt'
#: TDL rule -> the method that uses it (everything else equal).
TDL_RULE_METHODS = {
    'balance': 'bdcl_balance_crt',
    'paper': 'bdcl_crt',
    'descent': 'bdcl_descent_crt',
    'ascent': 'bdcl_ascent_crt',
    'none': 'bdcl_wo_tdl_crt'
}
#: The paper's ablation, every row with the default TDL rule: row name -> method. The baseline
#: is SCL (the BDCL loss with neither TDL nor HEP).
ABLATION_METHODS = {
    'baseline': 'scl_crt',
    'w/o TDL': 'bdcl_wo_tdl_crt',
    'w/o HEP': 'bdcl_wo_hep_crt',
    'full': 'bdcl_balance_crt',
}
ORDERS = ('hard-tail', 'natural')
DEFAULT_SEEDS = (0, 1, 2, 3, 4)
METRICS = ('acc', 'gmean', 'f1', 'iba_0.1', 'iba_0.5', 'iba_1', 'balanced_acc', 'many_shot_acc',
           'medium_shot_acc', 'few_shot_acc')
METRIC_LABELS = {
    'acc': 'ACC',
    'gmean': 'G-mean',
    'f1': 'F1',
    'iba_0.1': 'IBA0.1',
    'iba_0.5': 'IBA0.5',
    'iba_1': 'IBA1',
    'balanced_acc': 'bal. ACC',
    'many_shot_acc': 'many',
    'medium_shot_acc': 'medium',
    'few_shot_acc': 'few',
}
#: Metrics on which "BDCL beats the strongest baseline" is judged.
VERDICT_METRICS = ('acc', 'gmean', 'f1', 'iba_0.1', 'few_shot_acc')


@dataclass
class Settings:
    """Everything that decides a run's outcome besides method, order and seed."""
    ratio: float = 100.0
    n_max: int = 200
    test_per_class: Optional[int] = 100
    data_seed: int = 0
    epochs_stage1: int = 20
    epochs_stage2: int = 6
    batch_stage1: int = 32
    batch_stage2: int = 32
    lr_stage1: float = 0.05
    lr_stage2: float = 0.05
    val_points_stage1: int = 4
    width: int = 8
    #: BDCL-loss options (``model.head.loss_contrast.<name>``) of the stage-1 runs whose
    #: temperatures follow a gradient rule ('paper', 'descent', 'ascent'), e.g.
    #: ``{'tdl_lr': 3e-05}`` from ``--tdl-lr``; empty: the configs' values.
    extra: Dict[str, float] = field(default_factory=dict)
    #: A harmless perturbation of the run (``benchmarks/perturbation.py``, e.g. 'threads2'),
    #: for the noise floor; None: a main run (left out of the key, which stays as it was).
    perturb: Optional[str] = None

    def key(self) -> str:
        """A stable text form, compared to skip finished runs."""
        return json.dumps(self.as_dict(), sort_keys=True)

    def as_dict(self) -> dict:
        data = asdict(self)
        if data['perturb'] is None:
            del data['perturb']
        return data

    def model_options(self) -> Dict[str, int]:
        """``--cfg-options`` of the ResNet width: stem/base channels ``width``, features
        ``8 * width`` (the configs' own width is 16)."""
        return {
            'model.backbone.stem_channels': self.width,
            'model.backbone.base_channels': self.width,
            'model.head.in_channels': 8 * self.width,
        }

    def loss_options(self, tdl: Optional[str]) -> Dict[str, float]:
        """``--cfg-options`` from ``extra`` for a stage 1 whose TDL rule is ``tdl`` (none for
        CE, SCL and w/o TDL, whose temperatures are fixed, and for 'balance', whose step is a
        time constant rather than a gradient step size)."""
        if tdl not in GRADIENT_RULES:
            return {}
        return {f'model.head.loss_contrast.{k}': v for k, v in sorted(self.extra.items())}

    def tdl_lr(self) -> float:
        """The step size of the gradient-rule runs: ``--tdl-lr`` or BDCLLoss's default."""
        if 'tdl_lr' in self.extra:
            return float(self.extra['tdl_lr'])
        from bdcl_mm.models.losses import DEFAULT_TDL_LR
        return DEFAULT_TDL_LR['paper']

    def val_interval(self) -> int:
        """Stage-1 validation interval giving about ``val_points_stage1`` points."""
        return max(1, self.epochs_stage1 // max(1, self.val_points_stage1))


def bdcl_loss_default(name: str):
    """The default of ``BDCLLoss``'s argument ``name`` (e.g. ``'tdl'``, ``'tdl_lr'``)."""
    from bdcl_mm.models.losses.bdcl_loss import BDCLLoss
    return inspect.signature(BDCLLoss.__init__).parameters[name].default


def data_root(data_dir: str, order: str, settings: Settings) -> str:
    """Folder of the Fashion-MNIST-LT cut of ``order`` at these settings."""
    test = 'all' if settings.test_per_class is None else settings.test_per_class
    name = (f'fmnist_lt_{order}_r{settings.ratio:g}_n{settings.n_max}_t{test}'
            f'_s{settings.data_seed}')
    return osp.join(data_dir, name)


def stage1_config(key: str) -> str:
    return osp.join(CFG_DIR, STAGE1[key])


@functools.lru_cache(maxsize=None)
def stage1_tdl(key: str) -> Optional[str]:
    """The temperature rule of stage 1 ``key``, read from its config: the BDCL loss's ``tdl``
    (BDCLLoss's default where the config leaves it out); None for a stage 1 without one (CE)
    or with another contrastive loss (TSC)."""
    from mmengine.config import Config
    head = Config.fromfile(stage1_config(key), import_custom_modules=False).model.head
    loss = head.get('loss_contrast')
    if loss is None or loss.get('type') != 'BDCLLoss':
        return None
    return loss.get('tdl', bdcl_loss_default('tdl'))


@functools.lru_cache(maxsize=None)
def stage1_prototypes(key: str) -> Optional[bool]:
    """Whether stage 1 ``key``'s BDCL loss uses the hard-example prototypes (HEP), read from its
    config (BDCLLoss's default where the config leaves it out); None without a BDCL loss."""
    from mmengine.config import Config
    loss = Config.fromfile(stage1_config(key), import_custom_modules=False).model.head.get(
        'loss_contrast')
    if loss is None:
        return None
    return bool(loss.get('use_prototypes', bdcl_loss_default('use_prototypes')))


def stage2_config(stage1_key: str) -> str:
    name = STAGE2_CONFIGS.get(stage1_key, STAGE2_CONFIGS['default'])
    return osp.join(CFG_DIR, name)


def stage1_result_path(results_dir: str, order: str, key: str, seed: int) -> str:
    return osp.join(results_dir, 'runs', 'cls', order, f'stage1_{key}_seed{seed}.json')


def method_result_path(results_dir: str, order: str, method: str, seed: int) -> str:
    return osp.join(results_dir, 'runs', 'cls', order, f'{method}_seed{seed}.json')


def work_dir_of(work_root: str, order: str, seed: int, key: str, stage: str) -> str:
    return osp.join(work_root, order, f'seed{seed}', key, stage)


def parse_list(text: str, allowed: Optional[List[str]] = None, kind: str = 'value') -> List[str]:
    """Comma-separated names, checked against ``allowed``."""
    items = [t.strip() for t in text.split(',') if t.strip()]
    if not items:
        raise ValueError(f'empty list of {kind}s.')
    if allowed is not None:
        bad = [t for t in items if t not in allowed]
        if bad:
            raise ValueError(f'unknown {kind}(s) {bad}; choose from {list(allowed)}.')
    return items
