"""Resuming a run: find the checkpoint to continue from (the newest loadable one for `auto`,
setting aside one that matches its manifest but cannot be loaded), load it, check it against
the request, and restore the session's position and the stage's state from it."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import torch

from magvit.checkpoint import CheckpointError, CheckpointManager
from magvit.config import RunConfig
from magvit.errors import TrainError
from magvit.progress import EventLog
from magvit.rundir import CHECKPOINT_FORMAT
from magvit.runstate import Dataset, RunState, Trainer, best_key
def silent(_message: str) -> None:
    return None


def resume_point_and_clean(checkpoints: CheckpointManager, resume: str, echo: Callable[[str], None],
                            loaded: dict[Path, dict]) -> Path | None:
    found = find_resume_point(checkpoints, resume, echo, loaded)
    checkpoints.clean_orphans()  # after the --resume never check, which counts unfinished saves too
    return found


def find_resume_point(checkpoints: CheckpointManager, resume: str, echo: Callable[[str], None] = silent,
                      loaded: dict[Path, dict] | None = None) -> Path | None:
    """The checkpoint to continue from, per the resume mode, or None to start fresh.

    With `auto`, the newest valid checkpoint that also loads: it is loaded here, into `loaded`.
    """
    if resume == "never":
        existing = _checkpoint_files(checkpoints.directory)
        if existing:
            raise TrainError(
                f"--resume never: {checkpoints.directory} already holds checkpoints "
                f"({', '.join(p.name for p in existing[:3])}{', ...' if len(existing) > 3 else ''}); "
                "they are never overwritten. Pick a new --run-dir to start over, "
                "or drop --resume never to continue this run."
            )
        return None
    if resume == "auto":
        return _newest_resume_point(checkpoints, echo, {} if loaded is None else loaded)
    path = Path(resume)
    if not path.is_file():
        raise TrainError(f"--resume {resume}: no such checkpoint file")
    return path


def _newest_resume_point(checkpoints: CheckpointManager, echo: Callable[[str], None],
                         loaded: dict[Path, dict]) -> Path | None:
    """The newest valid checkpoint (best.pt included) that loads; refuse a run whose checkpoints are all
    invalid. Newer ones that match their manifest but do not load are set aside once an older one loads."""
    unloadable: list[tuple[Path, str]] = []
    for path, _manifest in checkpoints.valid_checkpoints():
        try:
            loaded[path] = _load_own(checkpoints, path)
        except CheckpointError as exc:
            unloadable.append((path, str(exc)))
            continue
        for bad, reason in unloadable:
            _set_aside(checkpoints, bad, reason, echo)
        return path
    committed = [p for p in _checkpoint_files(checkpoints.directory) if p.suffix == ".json"]
    if committed:
        why = f"; {len(unloadable)} match their manifests but cannot be loaded: {unloadable[0][1]}" if unloadable else ""
        raise TrainError(
            f"{checkpoints.directory} holds checkpoints ({', '.join(p.stem for p in committed[:3])}) but none is "
            f"valid (see the checkpoint_skipped events){why}; training does not start over on top of them. "
            "Move them away, resume from a file with --resume PATH, or pick a new --run-dir."
        )
    return None


def _load_own(checkpoints: CheckpointManager, path: Path) -> dict:
    """A checkpoint's payload; CheckpointError when torch will not load it or it is not one of ours."""
    saved = checkpoints.load(path)
    if not isinstance(saved, dict) or saved.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(f"{path} is not a checkpoint of format {CHECKPOINT_FORMAT}")
    return saved


def _set_aside(checkpoints: CheckpointManager, path: Path, reason: str, echo: Callable[[str], None]) -> None:
    try:
        kept = checkpoints.set_aside(path, f"matches its manifest but cannot be loaded: {reason}")
    except CheckpointError as exc:
        raise TrainError(f"{path.name} cannot be loaded ({reason}) and cannot be set aside: {exc}") from exc
    echo(f"warning: {path.name} matches its manifest but cannot be loaded ({reason}); moved it to {kept} "
         "(nothing is deleted) and falling back to the previous valid checkpoint")


def _checkpoint_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if p.suffix in (".pt", ".json") and not p.name.startswith("."))


def load_checkpoint(checkpoints: CheckpointManager, path: Path, config: RunConfig, dataset: Dataset,
                    saved: dict | None = None) -> dict:
    """Load a checkpoint (unless `saved` is its payload already) and check that it belongs to this run's
    config and dataset."""
    if saved is None:
        try:
            saved = _load_own(checkpoints, path)
        except CheckpointError as exc:
            raise TrainError(f"cannot resume from {path}: {exc}") from exc
    if saved.get("stage") != config.stage:
        raise TrainError(f"cannot resume from {path}: it is a checkpoint of the {saved.get('stage')!r} stage and this "
                         f"run trains the {config.stage!r} stage. Pick a new --run-dir for another stage.")
    problems = []
    differing = config.trajectory_differences(saved.get("config") or {})
    if differing:
        old, new = saved.get("config") or {}, config.to_dict()
        details = ", ".join(f"{key} (checkpoint {_lookup(old, key)!r}, now {_lookup(new, key)!r})" for key in differing)
        problems.append(f"the configuration differs: {details}")
    if saved.get("data_fingerprint") != dataset.fingerprint:
        problems.append(f"the dataset differs: {dataset.path} has sha256 {dataset.fingerprint[:12]}..., "
                        f"the checkpoint was trained on {str(saved.get('data_fingerprint'))[:12]}...")
    if problems:
        raise TrainError(
            f"cannot resume from {path}: " + "; ".join(problems)
            + ". Run with the original config and data to continue, or pick a new --run-dir to start over."
        )
    return saved


def _lookup(config: dict, dotted: str) -> Any:
    section, key = dotted.split(".", 1)
    return (config.get(section) or {}).get(key)


def restore(trainer: Trainer, saved: dict) -> RunState:
    """Put the stage (models, optimizers, schedules, its extra state) and the RNGs back where the checkpoint left them."""
    trainer.stage.load_state_dict(saved)
    rng, dist = saved["rng"], trainer.dist
    per_rank = saved.get("rng_per_rank")
    same_group = int(saved.get("world_size", 1)) == dist.world_size and per_rank is not None
    torch.set_rng_state(per_rank[dist.rank] if same_group else rng["torch_global"])
    trainer.augment_rng.set_state(rng["augment"])
    history = saved["history"]
    batch_in_epoch = int(saved["batch_in_epoch"])
    # checkpoints from before distributed training count the position in batches of one process
    samples_in_epoch = int(saved.get("samples_in_epoch", batch_in_epoch * trainer.config.train.batch_size))
    return RunState(
        step=int(saved["step"]), epoch=int(saved["epoch"]), batch_in_epoch=batch_in_epoch,
        samples_in_epoch=samples_in_epoch, samples_seen=int(saved["samples_seen"]),
        best_value=saved[best_key(trainer.stage)],
        train_elapsed_s=float(saved["train_elapsed_s"]),
        step_losses=[float(x) for x in history["step_loss"]],
        epoch_metrics=[dict(m) for m in history["epochs"]],
    )  # fmt: skip


def announce_resume(path: Path, saved: dict, state: RunState, events: EventLog, echo: Callable[[str], None],
                     world_size: int = 1) -> None:
    saved_at = datetime.fromtimestamp(float(saved.get("wall_time", time.time())), tz=timezone.utc)
    echo(f"Found checkpoint at epoch {state.epoch} (step {state.step}, saved {saved_at:%H:%M:%S}), resuming"
         f" from {path}")
    saved_world = int(saved.get("world_size", 1))
    if saved_world != world_size:
        echo(f"The checkpoint was written by {saved_world} process(es), this run has {world_size}: the global order "
             "and position carry over, the global batch size changes (see docs/distributed.md)")
    events.emit("resumed_from", file=path.name, step=state.step, epoch=state.epoch,
                batch_in_epoch=state.batch_in_epoch, samples_in_epoch=state.samples_in_epoch,
                world_size=world_size, saved_world_size=saved_world)
