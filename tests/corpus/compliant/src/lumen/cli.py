"""python -m lumen [--run-dir DIR] [--resume-from PATH | --fresh] [...]"""
import argparse
from pathlib import Path

from .config import RunConfig
from .trainer import Trainer


def parse_args(argv=None):
    defaults = RunConfig()
    p = argparse.ArgumentParser(prog="lumen", description="Train the lumen classifier.")
    p.add_argument("--run-dir", type=Path, default=defaults.run_dir)
    p.add_argument("--max-steps", type=int, default=defaults.max_steps)
    p.add_argument("--batch-delay", type=float, default=defaults.batch_delay_s)
    p.add_argument("--checkpoint-period", type=float, default=defaults.checkpoint_period_s,
                   help="seconds of wall-clock time between periodic snapshots")
    p.add_argument("--heartbeat-period", type=float, default=defaults.heartbeat_period_s)
    p.add_argument("--log-every", type=int, default=defaults.log_every_steps)
    p.add_argument("--keep-last", type=int, default=defaults.keep_last)
    start = p.add_mutually_exclusive_group()
    start.add_argument("--resume-from", type=Path, metavar="PATH",
                       help="continue from this snapshot instead of the newest one")
    start.add_argument("--fresh", action="store_true",
                       help="ignore existing snapshots and start at step 0")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    cfg = RunConfig(run_dir=args.run_dir, max_steps=args.max_steps, batch_delay_s=args.batch_delay,
                    checkpoint_period_s=args.checkpoint_period,
                    heartbeat_period_s=args.heartbeat_period, log_every_steps=args.log_every,
                    keep_last=args.keep_last)
    Trainer(cfg).fit(resume_from=args.resume_from, fresh=args.fresh)
    return 0
