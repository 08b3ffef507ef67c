"""Train an MMSegmentation or MMPretrain config with the bdcl_mm components registered.

The host is chosen by the config's ``default_scope`` ('mmseg' or 'mmpretrain'). Modelled on the
hosts' own ``tools/train.py``::

    python tools/train.py configs/bdcl/hrnet_ocr_tui.py --work-dir work_dirs/bdcl
    python tools/train.py CONFIG --resume                 # latest checkpoint in the work dir
    python tools/train.py CONFIG --resume path/to/iter_1000.pth
    python tools/train.py STAGE2_CONFIG --resume --cfg-options load_from=STAGE1.pth
    bash tools/dist_train.sh CONFIG 4                     # 4 processes, PyTorch DDP

``--resume`` alone (or ``--resume auto``) resumes the latest checkpoint of the work dir; when the
work dir has none, the run starts fresh and keeps ``load_from`` as its initial weights (so a stage-2
command can be rerun as it is: the first run starts from stage 1, a rerun resumes its own state).
``--resume PATH`` takes ``PATH`` only when it is an existing file that is not a config; an option
or the config written after ``--resume`` is never taken as the checkpoint, and a path that does not
exist is an error. See :mod:`bdcl_mm.engine.resume`.
"""
import argparse
import os.path as osp
import sys

from bdcl_mm.engine.launch import (amp_optim_wrapper, build_runner, explain_download_errors,
                                   load_config, parse_cfg_options_args, prepare_environment,
                                   shutdown_distributed)
from bdcl_mm.engine.resume import apply_resume, normalize_resume_args


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Train a model with bdcl_mm (mmseg or mmpretrain)', allow_abbrev=False)
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        metavar='CKPT',
        help='resume from CKPT (an existing file), or, alone or as `--resume auto`, from the '
        'latest checkpoint in the work dir; with none there, start fresh from load_from')
    parser.add_argument(
        '--amp', action='store_true', default=False, help='enable automatic mixed precision')
    try:
        argv = normalize_resume_args(sys.argv[1:] if argv is None else argv)
    except ValueError as error:
        parser.error(str(error))
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
    apply_resume(cfg, args.resume)
    prepare_environment(cfg)
    with explain_download_errors(cfg):
        build_runner(cfg).train()
    shutdown_distributed()


if __name__ == '__main__':
    main()
