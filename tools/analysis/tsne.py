"""t-SNE of the learned pooled features of an MMPretrain model, coloured by class.

    python tools/analysis/tsne.py CONFIG CHECKPOINT --out tsne.png [--split test]
        [--max-samples 1000] [--perplexity 30] [--seed 0] [--cfg-options k=v ...]

Builds the model of ``CONFIG`` (an ``mmpretrain`` config of this project: CE, SCL or BDCL stage 1,
or a cRT stage 2), loads ``CHECKPOINT`` with the project's safe loader, runs the ``test`` (or
``val``/``train``) dataloader without augmentation and embeds the pooled backbone + neck features
(``model.extract_feat``, shape ``(N, D)``, the input of the classifier / projection head) with
scikit-learn's t-SNE. ``--max-samples`` takes a seeded, class-stratified subset first.
"""
import argparse
import os.path as osp
from typing import List, Optional, Sequence, Tuple

import numpy as np


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    from mmengine.config import DictAction
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('config', help='mmpretrain config file')
    p.add_argument('checkpoint', help='checkpoint of that config')
    p.add_argument('--out', required=True, help='output PNG path')
    p.add_argument('--split', choices=('test', 'val', 'train'), default='test',
                   help='which dataloader of the config to embed')
    p.add_argument('--max-samples', type=int, default=1000, help='cap on embedded images')
    p.add_argument('--perplexity', type=float, default=30.0)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--title', help='figure title (default: config name)')
    p.add_argument('--device', default='cpu')
    p.add_argument('--force', action='store_true', help='replace an existing --out file')
    p.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config values')
    args = p.parse_args(argv)
    if args.max_samples < 2:
        p.error('--max-samples must be at least 2')
    if args.perplexity <= 0:
        p.error('--perplexity must be positive')
    if not args.out.lower().endswith('.png'):
        p.error(f'--out must be a .png path, got {args.out!r}')
    if osp.exists(args.out) and not args.force:
        p.error(f'{args.out} exists; pass --force to replace it')
    return args


def stratified_subset(labels: np.ndarray, max_samples: int, seed: int) -> np.ndarray:
    """Sorted indices of at most ``max_samples`` items, about equally many per class.

    Args:
        labels (np.ndarray): Class of every item, shape ``(N,)``.
        max_samples (int): Cap on the number of items.
        seed (int): Seed of the draw.
    """
    labels = np.asarray(labels)
    if len(labels) <= max_samples:
        return np.arange(len(labels))
    rng = np.random.default_rng(seed)
    classes = np.unique(labels)
    per_class = max(1, max_samples // len(classes))
    picked = [rng.permutation(np.flatnonzero(labels == c))[:per_class] for c in classes]
    return np.sort(np.concatenate(picked))[:max_samples]


def embed_2d(features: np.ndarray, perplexity: float, seed: int) -> np.ndarray:
    """t-SNE of ``features`` ``(N, D)`` to ``(N, 2)`` (perplexity capped below N)."""
    from sklearn.manifold import TSNE
    if len(features) < 3:
        raise ValueError(f't-SNE needs at least 3 samples, got {len(features)}.')
    perplexity = min(perplexity, (len(features) - 1) / 3.0)
    tsne = TSNE(n_components=2, perplexity=perplexity, init='pca', random_state=seed)
    return tsne.fit_transform(np.asarray(features, dtype=np.float32))


def extract_features(cfg, checkpoint: str, split: str, max_samples: int, seed: int,
                     device: str) -> Tuple[np.ndarray, np.ndarray, List[str]]:
    """Pooled features ``(M, D)``, labels ``(M,)`` and class names of a config's dataloader."""
    import torch
    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner, load_checkpoint

    import bdcl_mm.registration  # noqa: F401  (installs the safe checkpoint loader)
    if cfg.get('default_scope') != 'mmpretrain':
        raise ValueError(f'tsne.py embeds mmpretrain classifiers; the config\'s default_scope is '
                         f'{cfg.get("default_scope")!r}.')
    init_default_scope('mmpretrain')
    import bdcl_mm.cls  # noqa: F401
    from mmpretrain.registry import DATASETS, MODELS
    loader_cfg = cfg.get(f'{split}_dataloader')
    loader_cfg = dict(loader_cfg, sampler=dict(type='DefaultSampler', shuffle=False))
    if split == 'train':
        test_pipeline = cfg.test_dataloader.dataset.pipeline
        loader_cfg['dataset'] = dict(loader_cfg['dataset'], pipeline=test_pipeline)
    dataset_cfg = dict(loader_cfg['dataset'])
    dataset = DATASETS.build(dataset_cfg)
    labels_all = np.array([dataset.get_data_info(i)['gt_label'] for i in range(len(dataset))])
    keep = stratified_subset(labels_all, max_samples, seed)
    loader_cfg['dataset'] = dict(dataset_cfg, indices=keep.tolist())
    loader = Runner.build_dataloader(dict(loader_cfg, num_workers=0, persistent_workers=False))
    model = MODELS.build(cfg.model)
    load_checkpoint(model, checkpoint, map_location='cpu', strict=False, logger='silent')
    model.to(device).eval()
    feats, labels = [], []
    with torch.no_grad():
        for data in loader:
            batch = model.data_preprocessor(data, False)
            inputs = batch['inputs']
            if isinstance(inputs, (list, tuple)):
                inputs = inputs[0]
            out = model.extract_feat(inputs)
            out = out[-1] if isinstance(out, (tuple, list)) else out
            feats.append(out.flatten(1).float().cpu().numpy())
            labels += [int(s.gt_label.reshape(-1)[0]) for s in batch['data_samples']]
    names = list(dataset.metainfo.get('classes') or [str(c) for c in range(max(labels) + 1)])
    return np.concatenate(feats), np.asarray(labels), names


def plot(points: np.ndarray, labels: np.ndarray, names: Sequence[str], title: str,
         out: str) -> None:
    """Scatter ``points`` ``(N, 2)`` coloured by class into ``out``."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    figure = Figure(figsize=(6, 5.5))
    FigureCanvasAgg(figure)
    ax = figure.add_subplot()
    for c, name in enumerate(names):
        mask = labels == c
        if mask.any():
            ax.scatter(points[mask, 0], points[mask, 1], s=6, alpha=0.7, color=f'C{c % 10}',
                       marker='o' if c < 10 else 'x', label=f'{name} ({mask.sum()})')
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title)
    ax.legend(fontsize='x-small', markerscale=2, loc='best')
    figure.tight_layout()
    figure.savefig(out, dpi=120)


def main(argv: Optional[Sequence[str]] = None) -> str:
    from mmengine.config import Config
    args = parse_args(argv)
    if not osp.isfile(args.checkpoint):
        raise SystemExit(f'error: checkpoint {args.checkpoint} not found')
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    feats, labels, names = extract_features(cfg, args.checkpoint, args.split, args.max_samples,
                                            args.seed, args.device)
    points = embed_2d(feats, args.perplexity, args.seed)
    import os
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    title = args.title or osp.splitext(osp.basename(args.config))[0]
    plot(points, labels, names, f'{title}\n{len(labels)} {args.split} images, t-SNE of pooled '
         'features', args.out)
    print(f't-SNE of {len(labels)} images ({feats.shape[1]}-d features) -> {args.out}')
    return args.out


if __name__ == '__main__':
    main()
