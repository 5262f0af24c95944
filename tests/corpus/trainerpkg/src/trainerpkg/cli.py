"""Command line: `trainerpkg --config run.yaml` or `python -m trainerpkg --config run.yaml`."""

from __future__ import annotations

import argparse

from trainerpkg.config import load_config
from trainerpkg.trainer import Trainer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="trainerpkg", description=__doc__)
    parser.add_argument("--config", required=True, help="YAML file with the run's settings")
    parser.add_argument("--run-dir", help="overrides run_dir from the config file")
    args = parser.parse_args(argv)

    try:
        cfg = load_config(args.config)
    except (OSError, ValueError) as err:
        parser.exit(2, f"trainerpkg: {err}\n")
    if args.run_dir:
        cfg.run_dir = args.run_dir
    Trainer(cfg).fit()
    return 0
