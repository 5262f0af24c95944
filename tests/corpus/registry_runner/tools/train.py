import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from minirun import Config, Runner  # noqa: E402


def parse_args():
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume', nargs='?', type=str, const='auto',
        help='If specify checkpoint path, resume from it, while if not specify, '
        'try to auto resume from the latest checkpoint in the work directory.')
    parser.add_argument(
        '--cfg-options', nargs='+', default=[],
        help='override some settings in the used config, the key-value pair '
        'in xxx=yyy format will be merged into config file.')
    return parser.parse_args()


def main():
    args = parse_args()
    cfg = Config.fromfile(args.config)
    cfg.merge_from_dict(dict(Config.parse_option(opt) for opt in args.cfg_options))
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
    runner = Runner.from_cfg(cfg)
    runner.train()


if __name__ == '__main__':
    main()
