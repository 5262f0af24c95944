"""Command line entry point: python train.py --config configs/demo.toml [--from PATH | --continue]"""
import argparse
import logging
import sys

from kestrel.config import load_config
from kestrel.loop import train


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--config", help="TOML file with TrainConfig fields")
    p.add_argument("--out-dir")
    p.add_argument("--max-steps", type=int)
    p.add_argument("--from", dest="resume_from", metavar="PATH",
                   help="state file to continue from")
    p.add_argument("--continue", dest="continue_run", action="store_true",
                   help="continue from the newest state file in out_dir")
    args = p.parse_args(argv)

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    cfg = load_config(args.config, out_dir=args.out_dir, max_steps=args.max_steps)
    logging.getLogger("kestrel").info("argv: %s", " ".join(sys.argv))
    result = train(cfg, resume_from=args.resume_from, continue_run=args.continue_run)
    print(f"finished at step {result.last_step}, loss {result.final_loss:.4f}")


if __name__ == "__main__":
    main()
