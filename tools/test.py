"""Test a checkpoint of an MMSegmentation or MMPretrain config with bdcl_mm registered.

The host is chosen by the config's ``default_scope``. Modelled on the hosts' ``tools/test.py``::

    python tools/test.py configs/bdcl/hrnet_ocr_tui.py work_dirs/hrnet_ocr_tui/iter_80000.pth
    python tools/test.py CONFIG CKPT --out results/ --show-dir vis/
    bash tools/dist_test.sh CONFIG CKPT 4

``--show-dir``: every test image is painted with its prediction into that folder.
``--out``: for mmseg, a folder receiving the predicted label maps (as the host's ``--out``); for
mmpretrain, a pickle file of the predictions (as the host's ``--out``).
"""
import argparse
import os.path as osp

from bdcl_mm.engine.launch import (build_runner, explain_download_errors, load_config,
                                   parse_cfg_options_args, prepare_environment,
                                   shutdown_distributed)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test a checkpoint with bdcl_mm (mmseg or mmpretrain)')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save logs and metrics')
    parser.add_argument(
        '--out',
        help='mmseg: folder for the predicted label maps; mmpretrain: pickle file of predictions')
    parser.add_argument('--show', action='store_true', help='show prediction results')
    parser.add_argument('--show-dir', help='folder where painted images are saved')
    parser.add_argument('--wait-time', type=float, default=2, help='display time with --show (s)')
    return parse_cfg_options_args(parser, argv)


def enable_visualization(cfg, args) -> None:
    """Switch on the host's VisualizationHook as its own test tool does.

    With ``--show-dir`` every test image is painted: the hooks' ``interval`` (mmseg: every 50th
    batch; mmpretrain: every 5000th sample) is set to 1.
    """
    hooks = cfg.get('default_hooks', {})
    if 'visualization' not in hooks:
        raise ValueError('--show/--show-dir need `default_hooks.visualization` '
                         "(dict(type='SegVisualizationHook') or dict(type='VisualizationHook')).")
    hook = hooks['visualization']
    hook.show = args.show
    hook.wait_time = args.wait_time
    if args.show_dir:
        hook.interval = 1
    if cfg.default_scope == 'mmseg':
        hook.draw = True
        if args.show_dir:
            cfg.visualizer.save_dir = args.show_dir
    else:
        hook.enable = True
        hook.out_dir = args.show_dir


#: mmseg metrics that write the predicted masks to ``output_dir``.
MASK_WRITERS = ('IoUMetric', 'mmseg.IoUMetric', 'CityscapesMetric', 'mmseg.CityscapesMetric')


def main(argv=None):
    args = parse_args(argv)
    cfg = load_config(args.config, args.cfg_options, args.launcher, args.trust_checkpoint)
    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'checkpoint not found: {args.checkpoint!r}')
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    cfg.load_from = args.checkpoint
    if args.show or args.show_dir:
        enable_visualization(cfg, args)
    if args.out is not None and cfg.default_scope == 'mmseg':
        # a list of evaluators: mmseg's metrics that write predictions (IoUMetric beside
        # SurfaceDistanceMetric, say) get the folder
        evaluators = cfg.test_evaluator
        if not isinstance(evaluators, (list, tuple)):
            evaluators = [evaluators]
        elif not any(e.get('type') in MASK_WRITERS for e in evaluators):
            raise ValueError(f'--out needs an IoUMetric or CityscapesMetric in test_evaluator; '
                             f'got {[e.get("type") for e in evaluators]}.')
        for evaluator in evaluators:
            if len(evaluators) == 1 or evaluator.get('type') in MASK_WRITERS:
                evaluator['output_dir'] = args.out
                evaluator['keep_results'] = True
    prepare_environment(cfg, dataloaders=('test_dataloader', ))
    with explain_download_errors(cfg):
        runner = build_runner(cfg)
        if args.out is not None and cfg.default_scope == 'mmpretrain':
            from mmengine.evaluator import DumpResults
            runner.test_evaluator.metrics.append(DumpResults(out_file_path=args.out))
        metrics = runner.test()
    shutdown_distributed()
    return metrics


if __name__ == '__main__':
    main()
