"""Train an MMSegmentation or MMPretrain config with the bdcl_mm components registered.

The host is chosen by the config's ``default_scope`` ('mmseg' or 'mmpretrain'). Modelled on the
hosts' own ``tools/train.py``::

    python tools/train.py configs/bdcl/hrnet_ocr_tui.py --work-dir work_dirs/bdcl
    python tools/train.py CONFIG --resume                 # latest checkpoint in the work dir
    python tools/train.py CONFIG --resume path/to/iter_1000.pth
    bash tools/dist_train.sh CONFIG 4                     # 4 processes, PyTorch DDP
"""
import argparse
import os.path as osp

from bdcl_mm.engine.launch import (amp_optim_wrapper, build_runner, load_config,
                                   parse_cfg_options_args, prepare_environment,
                                   shutdown_distributed)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a model with bdcl_mm (mmseg or mmpretrain)')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from the given checkpoint, or from the latest checkpoint in the work dir '
        'when no path is given')
    parser.add_argument(
        '--amp', action='store_true', default=False, help='enable automatic mixed precision')
    return parse_cfg_options_args(parser, argv)


def main(argv=None):
    args = parse_args(argv)
    cfg = load_config(args.config, args.cfg_options, args.launcher, args.trust_checkpoint)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    if args.amp:
        cfg.optim_wrapper = amp_optim_wrapper(cfg.optim_wrapper)
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
    prepare_environment(cfg)
    build_runner(cfg).train()
    shutdown_distributed()


if __name__ == '__main__':
    main()
