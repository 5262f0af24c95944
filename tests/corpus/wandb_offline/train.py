"""Entry point: python train.py --config configs/tiny.yaml [--resume [PATH]]"""
import argparse
import logging
import sys

import yaml

from wbtrain.trainer import train


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--config", default="configs/tiny.yaml")
    p.add_argument("--resume", nargs="?", const="latest", default=None,
                   help="continue from a checkpoint; alone it takes the newest in ckpt_dir")
    p.add_argument("--max-steps", type=int, default=None)
    args = p.parse_args(argv)

    logging.basicConfig(level=logging.INFO, stream=sys.stdout,
                        format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("wbtrain").info("argv: %s", " ".join(sys.argv))

    with open(args.config) as f:
        cfg = yaml.safe_load(f)
    if args.max_steps is not None:
        cfg["max_steps"] = args.max_steps
    train(cfg, resume=args.resume)


if __name__ == "__main__":
    main()
