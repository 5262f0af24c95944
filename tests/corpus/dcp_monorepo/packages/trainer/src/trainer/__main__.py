"""python -m trainer --config configs/tiny.toml [--run-dir DIR]"""

import argparse
import logging
import os
import sys
import warnings

from trainer.config import load_config
from trainer.loop import train


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m trainer")
    parser.add_argument("--config", required=True)
    parser.add_argument("--run-dir")
    parser.add_argument("--total-steps", type=int)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stdout,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # DCP warns on every save and load that no process group exists; we run single-process on purpose
    warnings.filterwarnings("ignore", message="torch.distributed is disabled")
    cfg = load_config(args.config, run_dir=args.run_dir, total_steps=args.total_steps)
    logging.getLogger("trainer").info("pid %d: %s", os.getpid(), " ".join(["python -m trainer", *sys.argv[1:]]))
    train(cfg)


if __name__ == "__main__":
    main()
