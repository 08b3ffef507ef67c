"""Time a segmentation training step with and without the BDCL term, for every supported model.

Per model, the BDCL model is built from its shipped config and the CE model is the same config
without the BDCL term (``bdcl_mm.seg.model_checks.host_model_config``: the host head in place of
the BDCL head), with the same weights. The two are stepped alternately in one process on the same
synthetic batch: warm-up, then interleaved repetitions, each a CE step and a BDCL step side by side
(which goes first alternates), so a pair sees the same machine load. Each pair gives a ratio
BDCL / CE; the table reports the median ratio, the distribution-free interval of that median
(order statistics of the pair ratios, its coverage printed) and whether 1 lies inside it (the
difference is then within the timing noise). A step is
``model.train_step`` (data preprocessing, forward, losses, backward, SGD update); the BDCL step also
includes the ``BDCLHook`` work (prototype and temperature update). On CUDA the peak allocated memory
of each model's steps is reported too::

    python tools/analysis/benchmark_seg_step.py --device cuda --arch w48 --batch 8 --size 512
    python tools/analysis/benchmark_seg_step.py --device cuda --amp --models hrnet_ocr
    python tools/analysis/benchmark_seg_step.py --quick          # CPU smoke test, seconds

The target (docs/benchmarks.md): at the default sampling budget the BDCL step costs at most 1.05x
the CE step for HRNetV2-W48 + OCR, batch 8, 512x512 on a GPU.
"""
import argparse
import copy
import gc
import os.path as osp
import statistics
import time
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmengine.config import Config, ConfigDict
from mmengine.logging import MessageHub
from mmengine.model import revert_sync_batchnorm
from mmengine.optim import AmpOptimWrapper, OptimWrapper
from mmengine.registry import DefaultScope
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

import bdcl_mm.seg  # noqa: F401  (registers the BDCL heads, BDCLLoss)
from bdcl_mm.engine.hooks import find_bdcl_losses, update_bdcl_loss
from bdcl_mm.seg.model_checks import host_model_config

CONFIGS = osp.join(osp.dirname(osp.abspath(__file__)), '..', '..', 'configs', 'bdcl')
#: model name -> (label, shipped config)
SEG_MODELS = {
    'hrnet_ocr': ('HRNetV2-{arch} + OCR', 'hrnet_ocr_tui.py'),
    'unet_fcn': ('UNet-S5-D16 + FCN', 'bdcl_unet-s5-d16_fcn_80k_tui-512x512.py'),
    'deeplabv3plus': ('DeepLabV3+ R-50-D8', 'bdcl_deeplabv3plus_r50-d8_80k_tui-512x512.py'),
    'segformer': ('SegFormer MiT-B0', 'bdcl_segformer_mit-b0_80k_tui-512x512.py'),
}
ARCHS = {
    'w48': dict(channels=(48, 96, 192, 384), blocks=4, modules=(1, 1, 4, 3)),
    'w18': dict(channels=(18, 36, 72, 144), blocks=4, modules=(1, 1, 4, 3)),
    'w18s': dict(channels=(18, 36, 72, 144), blocks=2, modules=(1, 1, 3, 2)),
}
RATIO_LINE = 'ratio BDCL / CE (median over paired steps)'
#: coverage aimed at by the interval of the median pair ratio
CONFIDENCE = 0.95


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Time a training step with CE and with CE + BDCL, side by side, per model')
    parser.add_argument('--models', nargs='+', choices=sorted(SEG_MODELS), default=list(SEG_MODELS),
                        help='models to time (default: all, HRNet + OCR first)')
    parser.add_argument('--arch', choices=sorted(ARCHS), default='w48',
                        help='HRNetV2 width of the hrnet_ocr model')
    parser.add_argument('--batch', type=int, default=8, help='images per step')
    parser.add_argument('--size', type=int, default=512, help='square input side')
    parser.add_argument(
        '--device', default='cuda' if torch.cuda.is_available() else 'cpu', help='cpu or cuda')
    parser.add_argument('--amp', action='store_true', help='fp16 autocast (CUDA only)')
    parser.add_argument('--reps', type=int, default=20, help='timed steps per model')
    parser.add_argument('--warmup', type=int, default=3, help='untimed steps per model first')
    parser.add_argument(
        '--quick', action='store_true', help='CPU smoke run: w18s, batch 2, 64x64, 3 reps')
    parser.add_argument('--threads', type=int, default=None, help='CPU threads (torch default)')
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    if args.quick:
        args.arch, args.batch, args.size, args.reps, args.warmup = 'w18s', 2, 64, 3, 1
        args.device = 'cpu'
    if args.amp and not str(args.device).startswith('cuda'):
        parser.error('--amp needs --device cuda (fp16 autocast)')
    if args.batch < 1 or args.size < 32 or args.size % 32 or args.reps < 1 or args.warmup < 0:
        parser.error('need --batch >= 1, --size a multiple of 32, --reps >= 1, --warmup >= 0')
    return args


def _hrnet_arch(cfg: ConfigDict, arch: str) -> None:
    spec = ARCHS[arch]
    channels, blocks, modules = spec['channels'], spec['blocks'], spec['modules']
    extra = cfg.backbone.extra
    extra.stage1.num_blocks = (blocks, )
    for i, name in enumerate(('stage2', 'stage3', 'stage4')):
        extra[name].num_channels = channels[:i + 2]
        extra[name].num_blocks = (blocks, ) * (i + 2)
        extra[name].num_modules = modules[i + 1]
    for head in cfg.decode_head:
        head.in_channels = list(channels)
    cfg.decode_head[0].channels = sum(channels)


def timing_model_config(path: str, size: int, arch: Optional[str] = None) -> ConfigDict:
    """The model of the config at ``path`` for ``size x size`` inputs, no pretrained weights, a
    contrast head's term on from the first step; ``arch``: the HRNetV2 width of an HRNet + OCR
    model."""
    cfg = Config.fromfile(path).model
    cfg.data_preprocessor.size = (size, size)
    cfg.pretrained = None
    if cfg.backbone.get('init_cfg'):
        cfg.backbone.init_cfg = None
    if arch is not None:
        _hrnet_arch(cfg, arch)
    heads = cfg.decode_head if isinstance(cfg.decode_head, list) else [cfg.decode_head]
    for head in heads:
        if 'loss_contrast' in head:
            head.contrast_warmup_iters = 0
    return cfg


def model_configs(name: str, arch: str, size: int) -> Tuple[ConfigDict, ConfigDict]:
    """``(ce_cfg, bdcl_cfg)`` of a model for ``size x size`` inputs
    (:func:`timing_model_config`)."""
    cfg = timing_model_config(osp.join(CONFIGS, SEG_MODELS[name][1]), size,
                              arch if name == 'hrnet_ocr' else None)
    return host_model_config(cfg), cfg


def synthetic_batch(batch: int, size: int, num_classes: int, seed: int) -> Dict[str, list]:
    """A batch for ``model.train_step``: noise images, a disc of class 1 and a small one of 2."""
    gen = torch.Generator().manual_seed(seed)
    yy, xx = torch.meshgrid(torch.arange(size), torch.arange(size), indexing='ij')
    inputs, samples = [], []
    for _ in range(batch):
        inputs.append(torch.randint(0, 256, (3, size, size), generator=gen, dtype=torch.uint8))
        cy, cx = (torch.rand(2, generator=gen) * 0.5 + 0.25) * size
        label = torch.zeros(size, size, dtype=torch.long)
        label[(yy - cy)**2 + (xx - cx)**2 < (0.2 * size)**2] = 1
        label[(yy - cx)**2 + (xx - cy)**2 < (0.08 * size)**2] = min(2, num_classes - 1)
        sample = SegDataSample(
            metainfo=dict(img_shape=(size, size), ori_shape=(size, size), pad_shape=(size, size)))
        sample.gt_sem_seg = PixelData(data=label[None])
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def _sync(device: torch.device) -> None:
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def run_model(args, name: str) -> Dict[str, dict]:
    """Time one model; returns ``{'CE': res, 'BDCL': res}``, ``res = {'times_ms', 'peak_gib'}``."""
    device = torch.device(args.device)
    ce_cfg, bdcl_cfg = model_configs(name, args.arch, args.size)
    torch.manual_seed(args.seed)
    with DefaultScope.overwrite_default_scope('mmseg'):
        ce = revert_sync_batchnorm(MODELS.build(ce_cfg))
        bdcl = revert_sync_batchnorm(MODELS.build(bdcl_cfg))
    missing, unexpected = bdcl.load_state_dict(ce.state_dict(), strict=False)
    if unexpected or any('projector' not in k and 'loss_contrast' not in k for k in missing):
        raise RuntimeError(f'CE and BDCL models differ beyond the projection: {missing} '
                           f'{unexpected}')
    models = {'CE': ce.to(device).train(), 'BDCL': bdcl.to(device).train()}
    wrappers = {}
    for key, model in models.items():
        optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
        wrappers[key] = (AmpOptimWrapper(optimizer=optimizer, loss_scale='dynamic')
                         if args.amp else OptimWrapper(optimizer=optimizer))
    losses = find_bdcl_losses(bdcl)
    data = synthetic_batch(args.batch, args.size, losses[0][1].num_classes, args.seed)
    MessageHub.get_current_instance().update_info('iter', 0)

    results = {key: dict(times_ms=[], peak_gib=None) for key in models}
    for rep in range(args.warmup + args.reps):
        # alternate which model steps first, so neither always runs on a warmer cache
        for key in (('CE', 'BDCL') if rep % 2 == 0 else ('BDCL', 'CE')):
            model = models[key]
            if device.type == 'cuda':
                torch.cuda.reset_peak_memory_stats(device)
            _sync(device)
            start = time.perf_counter()
            model.train_step(copy.copy(data), optim_wrapper=wrappers[key])
            for _, loss in (losses if model is bdcl else []):
                update_bdcl_loss(loss)
            _sync(device)
            elapsed = 1000.0 * (time.perf_counter() - start)
            if rep >= args.warmup:
                results[key]['times_ms'].append(elapsed)
                if device.type == 'cuda':
                    peak = torch.cuda.max_memory_allocated(device) / 2**30
                    results[key]['peak_gib'] = max(results[key]['peak_gib'] or 0.0, peak)
    return results


def run(args) -> Dict[str, Dict[str, dict]]:
    """Time every model of ``args.models`` in turn; ``{label: {'CE': res, 'BDCL': res}}``."""
    if args.threads:
        torch.set_num_threads(args.threads)
    out = {}
    for name in args.models:
        out[SEG_MODELS[name][0].format(arch=args.arch.upper())] = run_model(args, name)
        gc.collect()
        if str(args.device).startswith('cuda'):
            torch.cuda.empty_cache()
    return out


def pair_ratios(res: Dict[str, dict]) -> List[float]:
    """BDCL / CE of each repetition's pair of steps (taken side by side, same load)."""
    return [b / c for c, b in zip(res['CE']['times_ms'], res['BDCL']['times_ms'])]


def median_interval(values: Sequence[float],
                    confidence: float = CONFIDENCE) -> Tuple[float, float, float]:
    """Distribution-free interval of the median of ``values``: ``(low, high, coverage)``.

    The order statistics ``x_(k) <= median <= x_(n+1-k)`` hold the population median with
    probability ``1 - 2 P(B <= k - 1)``, ``B ~ Binomial(n, 1/2)``; ``k`` is the largest whose
    coverage reaches ``confidence``. With too few values for that (n < 6 at 95%), the interval is
    the range (``k = 1``) and the coverage returned is what the range achieves.
    """
    from scipy.stats import binom
    ordered = sorted(float(v) for v in values)
    n = len(ordered)
    if n == 0:
        raise ValueError('median_interval needs at least one value.')
    k = 1
    while k < (n + 1) // 2 and 1.0 - 2.0 * binom.cdf(k, n, 0.5) >= confidence:
        k += 1
    coverage = 1.0 - 2.0 * binom.cdf(k - 1, n, 0.5) if n > 1 else 0.0
    return ordered[k - 1], ordered[n - k], coverage


@dataclass(frozen=True)
class RatioSummary:
    """The step-time ratio BDCL / CE of one model over its paired repetitions."""
    median: float
    low: float
    high: float
    coverage: float

    @property
    def reading(self) -> str:
        """Whether the ratio differs from 1 beyond the interval (the timing noise)."""
        if self.low <= 1.0 <= self.high:
            return 'within noise (the interval holds 1)'
        if self.low > 1.0:
            return 'BDCL slower'
        return ('below 1 beyond the interval: timing bias, not a saving (the BDCL step does the '
                'CE step\'s work and more)')


def ratio_summary(res: Dict[str, dict]) -> RatioSummary:
    """Median pair ratio BDCL / CE with its distribution-free interval."""
    ratios = pair_ratios(res)
    low, high, coverage = median_interval(ratios)
    return RatioSummary(statistics.median(ratios), low, high, coverage)


def ratio(res: Dict[str, dict]) -> float:
    """Median over the paired repetitions of BDCL step time / CE step time."""
    return ratio_summary(res).median


def _spread(times: Sequence[float]) -> str:
    """``'median (q25-q75)'`` of step times in ms."""
    if len(times) < 2:
        return f'{statistics.median(times):.1f}'
    q1, _, q3 = statistics.quantiles(times, n=4, method='inclusive')
    return f'{statistics.median(times):.1f} ({q1:.1f}-{q3:.1f})'


def format_table(args, results: Dict[str, Dict[str, dict]]) -> List[str]:
    """A markdown table (one row per model) and the ratio line of the first model."""

    def peak(res):
        return '-' if res['peak_gib'] is None else f'{res["peak_gib"]:.2f}'

    summaries = {label: ratio_summary(res) for label, res in results.items()}
    coverage = min(s.coverage for s in summaries.values())
    lines = [
        f'Training step, batch {args.batch}, {args.size}x{args.size}, device {args.device}, amp '
        f'{args.amp}, {args.reps} interleaved CE / CE + BDCL pairs after {args.warmup} warm-up; '
        'step times in ms, median (interquartile range); ratio: median over the pairs, interval: '
        f'distribution-free {100 * coverage:.0f}% interval of that median (order statistics)', '',
        '| model | CE ms | CE + BDCL ms | ratio BDCL / CE | interval | reading | CE peak GiB | '
        'BDCL peak GiB |',
        '| --- | ---: | ---: | ---: | ---: | --- | ---: | ---: |'
    ]
    for label, res in results.items():
        s = summaries[label]
        lines.append(f'| {label} | {_spread(res["CE"]["times_ms"])} | '
                     f'{_spread(res["BDCL"]["times_ms"])} | {s.median:.3f} | '
                     f'[{s.low:.3f}, {s.high:.3f}] | {s.reading} | {peak(res["CE"])} | '
                     f'{peak(res["BDCL"])} |')
    first = next(iter(results))
    s = summaries[first]
    lines += ['', f'{RATIO_LINE}: {s.median:.3f} [{s.low:.3f}, {s.high:.3f}], {s.reading} '
              f'({first})']
    return lines


def main(argv=None) -> Dict[str, Dict[str, dict]]:
    args = parse_args(argv)
    results = run(args)
    print('\n'.join(format_table(args, results)), flush=True)
    return results


if __name__ == '__main__':
    main()
