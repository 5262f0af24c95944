#!/usr/bin/env python
"""Train a minidet model.

    python tools/train_net.py --config-file configs/mlp_tiny.yaml [--resume] [KEY VALUE ...]
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from minidet.config import get_cfg  # noqa: E402
from minidet.engine import DefaultTrainer, default_argument_parser, default_setup  # noqa: E402


def setup(args):
    cfg = get_cfg()
    if args.config_file:
        cfg.merge_from_file(args.config_file)
    cfg.merge_from_list(args.opts or [])
    cfg.freeze()
    default_setup(cfg, args)
    return cfg


def main(args):
    cfg = setup(args)
    trainer = DefaultTrainer(cfg)
    trainer.resume_or_load(resume=args.resume)
    trainer.train()
    return trainer


if __name__ == "__main__":
    args = default_argument_parser().parse_args()
    main(args)
