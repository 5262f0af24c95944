"""pulsefit command line: train, resume, status."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from pulsefit.checkpoint import latest_checkpoint, list_checkpoints
from pulsefit.config import load_config
from pulsefit.status import read_status
from pulsefit.trainer import Trainer

app = typer.Typer(help="Train pulse-shape classifiers.", no_args_is_help=True, add_completion=False)
console = Console(log_time_format="[%Y-%m-%d %H:%M:%S]")

ConfigArg = typer.Argument(..., exists=True, dir_okay=False, help="TOML run config")
MaxStepsOpt = typer.Option(None, "--max-steps", help="override [train].max_steps")


def _announce(what: str) -> None:
    argv = [Path(sys.argv[0]).name, *sys.argv[1:]]
    console.log(f"{what}: {shlex.join(argv)}")


@app.command()
def train(config: Path = ConfigArg, max_steps: Optional[int] = MaxStepsOpt) -> None:
    """Train from scratch (step 0). Existing step folders in the run are overwritten."""
    cfg = load_config(config, max_steps)
    _announce("train")
    trainer = Trainer(cfg, console)
    trainer.fit()


@app.command()
def resume(
    config: Path = ConfigArg,
    checkpoint: Optional[Path] = typer.Option(None, "--checkpoint", "-c",
                                              help="step folder to load; default: the newest"),
    max_steps: Optional[int] = MaxStepsOpt,
) -> None:
    """Continue a run from a checkpoint folder (the newest one unless --checkpoint is given)."""
    cfg = load_config(config, max_steps)
    _announce("resume")
    trainer = Trainer(cfg, console)
    folder = checkpoint or latest_checkpoint(trainer.ckpt_root)
    if folder is None:
        console.log(f"[red]no checkpoint under {trainer.ckpt_root}; use `pulsefit train`")
        raise typer.Exit(code=1)
    trainer.restore(folder)
    console.log(f"resuming from {folder} at step {trainer.step}")
    trainer.fit()


@app.command()
def status(config: Path = ConfigArg) -> None:
    """Print the run's status.json and its checkpoints."""
    cfg = load_config(config)
    run_dir = Path(cfg.run_dir)
    info = read_status(run_dir / "status.json")
    if info is None:
        console.print(f"no status.json in {run_dir} yet")
        raise typer.Exit(code=1)
    table = Table(title=f"{cfg.name} ({run_dir})")
    table.add_column("field")
    table.add_column("value")
    for key, value in info.items():
        table.add_row(key, str(value))
    ckpts = list_checkpoints(run_dir / "checkpoints")
    table.add_row("checkpoints", ", ".join(p.name for p in ckpts) or "-")
    console.print(table)
