"""Entry point: `python -m svctrain [--resume latest|PATH] [--max-steps N]`."""

import argparse
import logging
import os
import sys

from . import config
from .trainer import Trainer


def main(argv=None):
    parser = argparse.ArgumentParser(prog="svctrain")
    parser.add_argument("--resume", default=None,
                        help="'latest' (newest checkpoint in TRAINER_CKPT_DIR) or a checkpoint path")
    parser.add_argument("--max-steps", type=int, default=2000)
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    log = logging.getLogger("svctrain")
    settings = config.load()
    log.info("starting pid=%d argv=%s", os.getpid(), " ".join(sys.argv[1:] if argv is None else argv))
    log.info("ckpt_dir=%s ckpt_interval=%d state_dir=%s", settings.ckpt_dir,
             settings.ckpt_interval, settings.state_dir)
    Trainer(settings, args.max_steps, resume=args.resume).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
