"""Run the classification benchmark: data cuts, stage-1 and stage-2 runs, one result JSON each.

Every run is ``tools/train.py`` with ``--cfg-options`` in a subprocess. Its metrics are the final
validation of the run, read from mmengine's ``vis_data/scalars.json``; validation uses the
balanced official test set (``configs/_base_/datasets/fmnist_lt.py``), so this is the test score.
A result JSON whose settings match is never recomputed.
"""
import os.path as osp
import shutil
import sys
from typing import Dict, List, Optional

from . import cls_plan as plan
from . import perturbation
from .common import (last_checkpoint, last_record_with, read_json, read_scalars, rel,
                     repo_path, run_logged, shell_command, tail, train_command, write_json)

PREFIX = 'imbalance/'


class RunFailed(RuntimeError):
    """A subprocess run exited with an error (the message holds its log's tail)."""


def ensure_data(data_dir: str, order: str, settings: plan.Settings, device: str) -> str:
    """Cut the Fashion-MNIST-LT data of ``order`` unless it is already there; return its root."""
    root = plan.data_root(data_dir, order, settings)
    if osp.isfile(osp.join(root, 'meta', 'split_info.json')):
        return root
    cmd = [sys.executable, 'tools/dataset_converters/fashion_mnist_lt.py', root, '--order', order,
           '--ratio', f'{settings.ratio:g}', '--n-max', str(settings.n_max),
           '--seed', str(settings.data_seed)]
    if settings.test_per_class is not None:
        cmd += ['--test-per-class', str(settings.test_per_class)]
    log = root + '.log'
    code, _ = run_logged(cmd, log, device)
    if code:
        raise RunFailed(f'data conversion failed ({log}):\n{tail(log)}')
    return root


def data_options(root: str, seed: int) -> Dict[str, object]:
    """``--cfg-options`` shared by both stages: data root, training counts, seed."""
    counts = osp.join(rel(root), 'meta', 'split_info.json')
    options: Dict[str, object] = {'randomness.seed': seed}
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        options[f'{loader}.dataset.data_root'] = rel(root)
    options['val_evaluator.1.train_class_counts'] = counts
    options['test_evaluator.1.train_class_counts'] = counts
    return options


def final_metrics(records: List[dict]) -> Dict[str, float]:
    """The last validation's ``imbalance/*`` metrics (prefix removed), x100."""
    record = last_record_with(records, PREFIX + 'acc')
    if record is None:
        raise RunFailed('the run logged no validation with imbalance/acc.')
    return {k[len(PREFIX):]: float(v) for k, v in record.items() if k.startswith(PREFIX)}


def curves(records: List[dict]) -> dict:
    """Training losses per iteration and validation scores per epoch."""
    train = [r for r in records if 'loss' in r and 'iter' in r]
    val = [r for r in records if PREFIX + 'acc' in r]
    out = {'train': {'iter': [r['iter'] for r in train], 'epoch': [r.get('epoch') for r in train]}}
    for key in sorted({k for r in train for k in r if k.startswith('loss')}):
        out['train'][key] = [r.get(key) for r in train]
    out['val'] = {'epoch': [r.get('step') for r in val]}
    for key in ('acc', 'gmean', 'f1', 'few_shot_acc'):
        out['val'][key] = [r.get(PREFIX + key) for r in val]
    return out


def temperatures_from_checkpoint(path: str) -> Optional[List[float]]:
    """Per-class temperatures ``exp(log_tau)`` from a checkpoint's BDCL loss buffer (or None)."""
    import torch

    from bdcl_mm.engine import safe_torch_load
    state = safe_torch_load(path, map_location='cpu')
    state = state.get('state_dict', state)
    keys = [k for k in state if k.endswith('loss_contrast.log_tau')]
    if not keys:
        return None
    return torch.exp(state[keys[0]].float()).tolist()


def _train(config: str, work_dir: str, options: Dict[str, object], device: str,
           perturb: Optional[str] = None) -> dict:
    """Run ``tools/train.py`` in a clean work dir, under perturbation ``perturb``'s environment
    (``benchmarks/perturbation.py``); return command, wall time and records."""
    if osp.isdir(work_dir):
        shutil.rmtree(work_dir)
    cmd = train_command(config, work_dir, options)
    log = osp.join(work_dir + '.log')
    print(f'[run] {shell_command(cmd)}', flush=True)
    code, wall = run_logged(cmd, log, device, env=perturbation.env_of(perturb))
    if code:
        raise RunFailed(f'exit {code}; log {log}:\n{tail(log)}')
    print(f'[done] {wall:.0f} s', flush=True)
    return dict(command=perturbation.command_line(shell_command(cmd), perturb), wall_s=wall,
                records=read_scalars(work_dir))


def _matches(path: str, settings: plan.Settings) -> bool:
    return osp.isfile(path) and read_json(path).get('settings_key') == settings.key()


def run_stage1(key: str, order: str, seed: int, settings: plan.Settings, paths: dict,
               device: str) -> dict:
    """Stage-1 run of ``key`` (skipped when its result and checkpoint exist)."""
    result_path = plan.stage1_result_path(paths['results'], order, key, seed)
    work_dir = plan.work_dir_of(paths['work'], order, seed, key, 'stage1')
    if _matches(result_path, settings):
        result = read_json(result_path)
        if osp.isfile(repo_path(result.get('checkpoint') or 'missing')):
            return result
    root = ensure_data(paths['data'], order, settings, device)
    options = data_options(root, seed)
    options.update(settings.model_options())
    options.update({
        'optim_wrapper.optimizer.lr': settings.lr_stage1,
        'train_cfg.max_epochs': settings.epochs_stage1,
        'train_cfg.val_interval': settings.val_interval(),
        'train_dataloader.batch_size': settings.batch_stage1,
        'default_hooks.checkpoint.interval': settings.epochs_stage1,
        'default_hooks.logger.interval': 5,
    })
    options.update(settings.loss_options(plan.stage1_tdl(key)))
    run = _train(plan.stage1_config(key), work_dir, options, device, settings.perturb)
    checkpoint = last_checkpoint(work_dir)
    result = dict(kind='stage1', key=key, order=order, seed=seed, settings=settings.as_dict(),
                  settings_key=settings.key(), tdl=plan.stage1_tdl(key),
                  config=rel(plan.stage1_config(key)), command=run['command'],
                  wall_s=run['wall_s'], work_dir=rel(work_dir), checkpoint=rel(checkpoint),
                  metrics=final_metrics(run['records']), curves=curves(run['records']),
                  train_counts=read_json(osp.join(root, 'meta', 'split_info.json'))
                  ['train_counts'],
                  temperatures=temperatures_from_checkpoint(checkpoint),
                  **perturbation.record_of(settings.perturb))
    hook_plot = osp.join(work_dir, 'bdcl_temperatures.json')
    if osp.isfile(hook_plot):
        result['temperature_history'] = read_json(hook_plot)
    write_json(result_path, result)
    return result


def run_method(method: str, order: str, seed: int, settings: plan.Settings, paths: dict,
               device: str) -> dict:
    """One table row for one seed (skipped when its result exists with these settings)."""
    result_path = plan.method_result_path(paths['results'], order, method, seed)
    if _matches(result_path, settings):
        print(f'[skip] {order} {method} seed {seed}: {rel(result_path)} exists', flush=True)
        return read_json(result_path)
    spec = plan.METHODS[method]
    stage1 = run_stage1(spec.stage1, order, seed, settings, paths, device)
    result = dict(kind='method', method=method, label=spec.label, order=order, seed=seed,
                  settings=settings.as_dict(), settings_key=settings.key(),
                  stage1=spec.stage1, commands=[stage1['command']],
                  wall_s={'stage1': stage1['wall_s']}, **perturbation.record_of(settings.perturb))
    if spec.crt:
        root = ensure_data(paths['data'], order, settings, device)
        work_dir = plan.work_dir_of(paths['work'], order, seed, spec.stage1, 'stage2_crt')
        options = data_options(root, seed)
        options.update(settings.model_options())
        options.update({
            'load_from': stage1['checkpoint'],
            'optim_wrapper.optimizer.lr': settings.lr_stage2,
            'train_cfg.max_epochs': settings.epochs_stage2,
            'train_cfg.val_interval': settings.epochs_stage2,
            'train_dataloader.batch_size': settings.batch_stage2,
            'default_hooks.checkpoint.interval': settings.epochs_stage2,
            'default_hooks.logger.interval': 5,
        })
        run = _train(plan.stage2_config(spec.stage1), work_dir, options, device,
                     settings.perturb)
        result['commands'].append(run['command'])
        result['wall_s']['stage2'] = run['wall_s']
        result['metrics'] = final_metrics(run['records'])
        result['curves_stage2'] = curves(run['records'])
    else:
        result['metrics'] = stage1['metrics']
    write_json(result_path, result)
    print(f'[result] {order} {method} seed {seed}: ACC {result["metrics"]["acc"]:.2f} '
          f'G-mean {result["metrics"]["gmean"]:.2f} -> {rel(result_path)}', flush=True)
    return result


def run_tsne(order: str, seed: int, settings: plan.Settings, paths: dict, device: str,
             keys=('ce', 'scl', 'bdcl_balance'), max_samples: int = 1000) -> List[str]:
    """t-SNE figures of the stage-1 features of ``keys`` (``tools/analysis/tsne.py``).

    Only stage-1 runs that finished with these settings are drawn; one whose checkpoint is gone
    (a fresh clone holds the run JSONs only) is trained again first. Returns the figure paths.
    """
    made, commands = [], []
    for key in keys:
        result_path = plan.stage1_result_path(paths['results'], order, key, seed)
        if not _matches(result_path, settings):
            continue
        stage1 = run_stage1(key, order, seed, settings, paths, device)
        root = ensure_data(paths['data'], order, settings, device)
        out = osp.join(paths['results'], 'figures', f'tsne_{order}_{key}.png')
        options = dict(data_options(root, seed), **settings.model_options())
        cmd = [sys.executable, 'tools/analysis/tsne.py', rel(plan.stage1_config(key)),
               stage1['checkpoint'], '--out', rel(out), '--force', '--max-samples',
               str(max_samples), '--title', f'{key} stage 1, {order}, seed {seed}',
               '--cfg-options'] + [f'{k}={v}' for k, v in options.items()]
        log = osp.join(paths['work'], f'tsne_{order}_{key}.log')
        print(f'[run] {shell_command(cmd)}', flush=True)
        code, wall = run_logged(cmd, log, device)
        if code:
            print(f'[failed] t-SNE {key}: {tail(log)}', flush=True)
            continue
        made.append(out)
        commands.append(shell_command(cmd))
    if commands:
        write_json(osp.join(paths['results'], 'runs', 'cls', 'tsne.json'),
                   {'settings_key': settings.key(), 'commands': commands,
                    'figures': [osp.relpath(p, paths['results']) for p in made]})
    return made
