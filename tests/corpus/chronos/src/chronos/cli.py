from __future__ import annotations

import logging
import shlex
import sys
from pathlib import Path

import click

from chronos import __version__
from chronos.config import load_config, parse_duration
from chronos.reporting import setup_logging
from chronos.trainer import Trainer

log = logging.getLogger("chronos.cli")


class Duration(click.ParamType):
    name = "duration"

    def convert(self, value, param, ctx):
        try:
            return parse_duration(value)
        except ValueError as err:
            self.fail(str(err), param, ctx)


DURATION = Duration()


@click.group()
@click.version_option(__version__)
def main():
    """chronos: train the clock-stream model."""


@main.command()
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False),
              default="configs/base.toml", show_default=True)
@click.option("--run-dir", required=True, type=click.Path(file_okay=False),
              help="Where checkpoints, train.jsonl and status.json go.")
@click.option("--steps", type=int, help="Override [train] steps.")
@click.option("--checkpoint-every", type=DURATION, help='Override [checkpoint] every, e.g. "90s".')
@click.option("--status-every", type=DURATION, help="Override [report] status_every.")
@click.option("--step-delay", type=DURATION, help="Override [train] step_delay.")
@click.option("--resume-from", type=click.Path(exists=True, dir_okay=False),
              help="Start from this checkpoint instead of the newest one in the run.")
@click.option("--fresh", is_flag=True, help="Delete the run's checkpoints and start at step 0.")
def train(config_path, run_dir, steps, checkpoint_every, status_every, step_delay,
          resume_from, fresh):
    """Train, picking up from the newest checkpoint in RUN_DIR if there is one."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    setup_logging(run_dir)
    cfg = load_config(config_path).with_overrides(
        steps=steps, checkpoint_every=checkpoint_every, status_every=status_every,
        step_delay=step_delay)
    log.info("start", extra={"fields": {"argv": shlex.join(sys.argv), "config": config_path,
                                        "checkpoint_every_s": cfg.checkpoint_every.total_seconds()}})
    if fresh and resume_from:
        raise click.UsageError("--fresh and --resume-from exclude each other")
    Trainer(cfg, run_dir, fresh=fresh, resume_from=resume_from).fit()
