"""Time a segmentation training step: HRNet + OCRHead (CE) against HRNet + BDCLOCRHead (CE + BDCL).

Both models are built from ``configs/bdcl/hrnet_ocr_tui.py`` (the CE one with the plain ``OCRHead``
at index 1) with the same weights, and stepped alternately in one process on the same synthetic
batch (warm-up, then interleaved repetitions; the median is reported). A step is
``model.train_step`` (data preprocessing, forward, losses, backward, SGD update); the BDCL step also
includes the ``BDCLHook`` work (prototype and temperature update). On CUDA the peak allocated memory
of each model's steps is reported too::

    python tools/analysis/benchmark_seg_step.py --device cuda --arch w48 --batch 8 --size 512
    python tools/analysis/benchmark_seg_step.py --device cuda --amp
    python tools/analysis/benchmark_seg_step.py --quick          # CPU smoke test, seconds

The target (DESIGN.md): at the default sampling budget the BDCL step costs at most 1.05x the CE
step for HRNetV2-W48, batch 8, 512x512 on a GPU.
"""
import argparse
import copy
import os.path as osp
import statistics
import time
from typing import Dict, List

import torch
from mmengine.config import Config
from mmengine.logging import MessageHub
from mmengine.model import revert_sync_batchnorm
from mmengine.optim import AmpOptimWrapper, OptimWrapper
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

import bdcl_mm.seg  # noqa: F401  (registers BDCLOCRHead, BDCLLoss)
from bdcl_mm.engine.hooks import find_bdcl_losses, update_bdcl_loss

CONFIG = osp.join(osp.dirname(osp.abspath(__file__)), '..', '..', 'configs', 'bdcl',
                  'hrnet_ocr_tui.py')
ARCHS = {
    'w48': dict(channels=(48, 96, 192, 384), blocks=4, modules=(1, 1, 4, 3)),
    'w18': dict(channels=(18, 36, 72, 144), blocks=4, modules=(1, 1, 4, 3)),
    'w18s': dict(channels=(18, 36, 72, 144), blocks=2, modules=(1, 1, 3, 2)),
}
BDCL_ONLY_KEYS = ('proj_channels', 'proj_mid_channels', 'loss_contrast', 'contrast_warmup_iters',
                  'max_views', 'max_samples')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Time a training step with OCRHead+CE and with BDCLOCRHead, side by side')
    parser.add_argument('--arch', choices=sorted(ARCHS), default='w48', help='HRNetV2 width')
    parser.add_argument('--batch', type=int, default=8, help='images per step')
    parser.add_argument('--size', type=int, default=512, help='square input side')
    parser.add_argument(
        '--device', default='cuda' if torch.cuda.is_available() else 'cpu', help='cpu or cuda')
    parser.add_argument('--amp', action='store_true', help='fp16 autocast (CUDA only)')
    parser.add_argument('--reps', type=int, default=20, help='timed steps per model')
    parser.add_argument('--warmup', type=int, default=3, help='untimed steps per model first')
    parser.add_argument('--config', default=CONFIG, help='config giving the BDCL head settings')
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
    if args.batch < 1 or args.size < 32 or args.reps < 1 or args.warmup < 0:
        parser.error('need --batch >= 1, --size >= 32, --reps >= 1, --warmup >= 0')
    return args


def model_configs(config: str, arch: str, size: int):
    """``(ce_cfg, bdcl_cfg)`` of ``arch`` for ``size x size`` inputs, BN, no pretrained weights."""
    cfg = Config.fromfile(config).model
    cfg.data_preprocessor.size = (size, size)
    spec = ARCHS[arch]
    channels, blocks, modules = spec['channels'], spec['blocks'], spec['modules']
    cfg.pretrained = None
    cfg.backbone.norm_cfg = dict(type='BN', requires_grad=True)
    extra = cfg.backbone.extra
    extra.stage1.num_blocks = (blocks, )
    for i, name in enumerate(('stage2', 'stage3', 'stage4')):
        extra[name].num_channels = channels[:i + 2]
        extra[name].num_blocks = (blocks, ) * (i + 2)
        extra[name].num_modules = modules[i + 1]
    for head in cfg.decode_head:
        head.in_channels = list(channels)
        head.norm_cfg = dict(type='BN', requires_grad=True)
    cfg.decode_head[0].channels = sum(channels)
    bdcl = copy.deepcopy(cfg)
    bdcl.decode_head[1].contrast_warmup_iters = 0
    ce = copy.deepcopy(cfg)
    ce.decode_head[1].type = 'OCRHead'
    for key in BDCL_ONLY_KEYS:
        ce.decode_head[1].pop(key, None)
    return ce, bdcl


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


def run(args) -> Dict[str, dict]:
    """Run the benchmark; returns per-model ``{'times_ms': [...], 'peak_gib': float | None}``."""
    device = torch.device(args.device)
    if args.threads:
        torch.set_num_threads(args.threads)
    ce_cfg, bdcl_cfg = model_configs(args.config, args.arch, args.size)
    torch.manual_seed(args.seed)
    ce = revert_sync_batchnorm(MODELS.build(ce_cfg))
    bdcl = revert_sync_batchnorm(MODELS.build(bdcl_cfg))
    missing, unexpected = bdcl.load_state_dict(ce.state_dict(), strict=False)
    if unexpected or any('projector' not in k and 'loss_contrast' not in k for k in missing):
        raise RuntimeError(f'CE and BDCL models differ beyond the projection: {missing} '
                           f'{unexpected}')
    models = {'OCRHead + CE': ce.to(device).train(), 'BDCLOCRHead': bdcl.to(device).train()}
    wrappers = {}
    for name, model in models.items():
        optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
        wrappers[name] = (AmpOptimWrapper(optimizer=optimizer, loss_scale='dynamic')
                          if args.amp else OptimWrapper(optimizer=optimizer))
    losses = find_bdcl_losses(bdcl)
    data = synthetic_batch(args.batch, args.size, bdcl_cfg.decode_head[1].num_classes, args.seed)
    MessageHub.get_current_instance().update_info('iter', 0)

    results = {name: dict(times_ms=[], peak_gib=None) for name in models}
    for rep in range(args.warmup + args.reps):
        for name, model in models.items():
            if device.type == 'cuda':
                torch.cuda.reset_peak_memory_stats(device)
            _sync(device)
            start = time.perf_counter()
            model.train_step(copy.copy(data), optim_wrapper=wrappers[name])
            for _, loss in (losses if model is bdcl else []):
                update_bdcl_loss(loss)
            _sync(device)
            elapsed = 1000.0 * (time.perf_counter() - start)
            if rep >= args.warmup:
                results[name]['times_ms'].append(elapsed)
                if device.type == 'cuda':
                    peak = torch.cuda.max_memory_allocated(device) / 2**30
                    results[name]['peak_gib'] = max(results[name]['peak_gib'] or 0.0, peak)
    return results


def format_table(args, results: Dict[str, dict]) -> List[str]:
    lines = [
        f'HRNetV2-{args.arch.upper()} + OCR, batch {args.batch}, {args.size}x{args.size}, '
        f'device {args.device}, amp {args.amp}, {args.reps} interleaved reps after '
        f'{args.warmup} warm-up', f'{"head":<14s} {"median ms":>10s} {"min ms":>9s} '
        f'{"peak GiB":>9s}'
    ]
    for name, res in results.items():
        peak = '-' if res['peak_gib'] is None else f'{res["peak_gib"]:.2f}'
        lines.append(f'{name:<14s} {statistics.median(res["times_ms"]):10.1f} '
                     f'{min(res["times_ms"]):9.1f} {peak:>9s}')
    ce, bdcl = (statistics.median(r['times_ms']) for r in results.values())
    lines.append(f'ratio BDCL / CE (median step time): {bdcl / ce:.3f}')
    return lines


def main(argv=None) -> Dict[str, dict]:
    args = parse_args(argv)
    results = run(args)
    print('\n'.join(format_table(args, results)), flush=True)
    return results


if __name__ == '__main__':
    main()
