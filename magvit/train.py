"""The training session: build, resume, run epochs, validate, save, whatever the stage.

`train()` is the entry point (`magvit train` calls it). The session owns the process (data
order and position, augmentation, clock, checkpoints, progress, events, preemption, resume);
the stage named by `config.stage` (magvit.stages: `tokenizer`, `transformer`) owns the model,
its optimizers and one training step. Everything needed to continue a run exactly goes into
each checkpoint: the session's fields plus the stage's `state_dict()`, merged into one dict.
A restarted run continues from the newest valid checkpoint in its run directory without
being told (auto-resume). Saving is decided by the CheckpointManager, reporting by the
ProgressReporter; this module only drives them.

Exit codes carried by TrainResult / TrainError:
  0    finished, or stopped by --time-limit (run the same command again to continue)
  2    bad input, or the run directory contradicts the request (nothing is overwritten)
  4    the final checkpoint could not be saved (a full disk, no permission): the run is not
       finished; once the disk is fixed the same command resumes from the newest checkpoint
  5    the loss (or a validation metric) became NaN or infinite: the run stopped as failed
       before saving anything after it; its newest checkpoint holds the last good state
  130  stopped by SIGINT after saving a `preempt` checkpoint
  143  stopped by SIGTERM after saving a `preempt` checkpoint
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable

import torch

from magvit import distributed
from magvit.checkpoint import CheckpointError, CheckpointManager, Interval
from magvit.config import RunConfig, dump_run_config
from magvit.data import DataFileError, fingerprint, load_clips, split_indices
from magvit.errors import TrainError
from magvit.distributed import Dist, QuietEventLog, QuietProgress, RankHeartbeat
from magvit.progress import EventLog, ProgressReporter
from magvit.rundir import CHECKPOINTS_DIR, CONFIG_FILE
from magvit.runlock import DEFAULT_WAIT_S, RunLock, RunLockError
from magvit.signals import PreemptionHandler
from magvit.stages import UnknownStageError, build_stage, steps_per_epoch
from magvit.resume import announce_resume, load_checkpoint, restore, resume_point_and_clean, silent
from magvit.runstate import Dataset, RunState, TrainResult, Trainer
from magvit.session import Session

RESUME_MODES = ("auto", "never")


# ----------------------------------------------------------------------------- entry point


def train(
    data: str | Path,
    run_dir: str | Path,
    config: RunConfig | None = None,
    resume: str = "auto",
    time_limit_s: float | None = None,
    echo: Callable[[str], None] = print,
    lock_wait_s: float = DEFAULT_WAIT_S,
) -> TrainResult:
    """Train the stage `config.stage` on the dataset file `data`, writing the run directory `run_dir`.

    `resume` is `auto` (continue from the newest valid checkpoint in the run directory, the
    default), `never` (start fresh; refuse when the run directory holds checkpoints) or the
    path of a checkpoint to continue from. `time_limit_s` stops the session like a
    preemption once that many seconds have passed, so that a scheduler's wall-clock limit
    is honoured and the same command continues the run. The run directory is locked for the
    session (magvit.runlock); a lock held by another live process is waited for up to
    `lock_wait_s` seconds, then refused (exit 2).
    """
    started = time.monotonic()
    config = config or RunConfig()
    deadline = started + time_limit_s if time_limit_s else None
    try:
        group = distributed.process_group()
    except distributed.DistributedError as exc:
        raise TrainError(f"torchrun environment: {exc}") from exc
    with deterministic(config.train.num_threads), group as dist, _run_dir_lock(Path(run_dir), lock_wait_s, dist, echo):
        return _train(Path(data), Path(run_dir), config, str(resume), deadline, echo, dist)


def _train(data: Path, run_dir: Path, config: RunConfig, resume: str, deadline: float | None,
           echo: Callable[[str], None], dist: Dist) -> TrainResult:
    tc = config.train
    if not dist.is_main:
        echo = silent  # rank 0 speaks for the group
    dataset = load_dataset(data, tc.val_fraction, tc.seed)
    code_version = _code_version()
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        events = EventLog(run_dir) if dist.is_main else QuietEventLog()
        checkpoints = CheckpointManager(
            run_dir / CHECKPOINTS_DIR, interval=tc.checkpoint_every, keep_last=tc.keep_last,
            events=events, code_version=code_version, data_fingerprint=dataset.fingerprint,
        )  # fmt: skip
    except (OSError, CheckpointError) as exc:
        raise TrainError(f"run directory {run_dir}: {exc}") from exc
    loaded: dict[Path, dict] = {}  # rank 0 loads the resume point while choosing it: not twice
    resume_from = _on_main(dist, lambda: resume_point_and_clean(checkpoints, resume, echo, loaded))
    saved = load_checkpoint(checkpoints, resume_from, config, dataset, loaded.get(resume_from)) if resume_from else None

    trainer = build(config, len(dataset.train_x), dist)
    problem = trainer.stage.clip_problem(dataset.train_x)
    if problem:  # before anything is written: clips the model cannot take
        raise TrainError(f"data: {dataset.path}: {problem}")
    try:
        state = restore(trainer, saved) if saved else RunState()
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise TrainError(f"cannot resume from {resume_from}: the checkpoint lacks or mangles {exc} "
                         "(written by another version of the trainer?)") from exc
    if saved:
        checkpoints.mark_resumed(state.step)
    try:
        if dist.is_main:
            dump_run_config(config, run_dir / CONFIG_FILE)
        events.emit("run_start", pid=os.getpid(), resume=resume, config_hash=_config_hash(config),
                    code_version=code_version, data_fingerprint=dataset.fingerprint, world_size=dist.world_size)
    except OSError as exc:
        raise TrainError(f"run directory {run_dir} cannot be written: {exc}") from exc
    if saved:
        announce_resume(resume_from, saved, state, events, echo, dist.world_size)
    else:
        echo(f"Starting a new run in {run_dir} ({trainer.total_steps} steps, {tc.epochs} epochs)")

    progress = _progress(run_dir, trainer, events, dist)
    dist.barrier()  # every rank's heartbeat file then postdates run_start, which is how status tells sessions apart
    beat = RankHeartbeat(run_dir, dist, tc.heartbeat_interval_s) if dist.enabled else None
    with progress, beat or contextlib.nullcontext(), PreemptionHandler() as preempt:
        session = Session(trainer, state, dataset, checkpoints, progress, events, preempt, deadline, echo,
                          rank_heartbeat=beat)
        try:
            return session.run()
        except BaseException as exc:
            progress.stop_heartbeat()  # no heartbeat event after run_end
            events.emit("run_end", status="failed", step=state.step, error=f"{type(exc).__name__}: {exc}")
            raise


@contextlib.contextmanager
def _run_dir_lock(run_dir: Path, wait_s: float, dist: Dist, echo: Callable[[str], None]) -> Iterator[None]:
    """The run directory's lock for the whole job: rank 0 holds it for every rank of a torchrun job."""
    lock = RunLock(run_dir, wait_s=wait_s, world_size=dist.world_size) if dist.is_main else None
    _on_main(dist, lambda: _take_lock(lock, echo))
    try:
        yield
    finally:
        if lock is not None:
            lock.release()


def _take_lock(lock: RunLock, echo: Callable[[str], None]) -> None:
    def waiting(holder: Any) -> None:
        who = holder.describe() if holder is not None else "another process"
        echo(f"The run directory is locked by {who}; waiting up to {lock.wait_s:g} s for it to end")

    try:
        lock.run_dir.mkdir(parents=True, exist_ok=True)
        previous = lock.acquire(on_wait=waiting)
    except OSError as exc:
        raise TrainError(f"run directory {lock.run_dir}: cannot create it: {exc.strerror or exc}") from exc
    except RunLockError as exc:
        raise TrainError(str(exc)) from exc
    if previous is not None:
        echo(f"Took over the run directory lock left by {previous.describe()}, which is no longer running")


def _progress(run_dir: Path, trainer: Trainer, events: EventLog, dist: Dist) -> ProgressReporter | QuietProgress:
    tc = trainer.config.train
    if not dist.is_main:
        return QuietProgress(tc.log_every)
    return ProgressReporter(run_dir, stage=trainer.stage.name, epochs=tc.epochs, total_steps=trainer.total_steps,
                            heartbeat_interval_s=tc.heartbeat_interval_s, log_every=tc.log_every, events=events)


def _on_main(dist: Dist, decide: Callable[[], Any]) -> Any:
    """Rank 0's `decide()` on every rank; a TrainError on rank 0 is raised on every rank."""
    outcome: tuple[str, Any, int] = ("ok", None, 0)
    if dist.is_main:
        try:
            outcome = ("ok", decide(), 0)
        except TrainError as exc:
            if not dist.enabled:
                raise
            outcome = ("error", str(exc), exc.exit_code)
    kind, value, code = distributed.broadcast_object(outcome, dist)
    if kind == "error":
        raise TrainError(value if dist.is_main else f"rank 0 refused to start: {value}", code)
    return value


# ----------------------------------------------------------------------------- build


def parse_duration(text: str, name: str = "duration") -> float:
    """Seconds in a duration like `90s`, `30m`, `2h`; TrainError naming `name` otherwise."""
    try:
        interval = Interval.parse(text)
    except ValueError as exc:
        raise TrainError(f"{name} {text!r}: not a duration like 90s, 30m or 2h") from exc
    if interval.kind != "time":
        raise TrainError(f"{name} {text!r}: must be a time like 90s, 30m or 2h, not {interval.kind}")
    return float(interval.value)


@contextlib.contextmanager
def deterministic(num_threads: int) -> Iterator[None]:
    """Deterministic kernels and a fixed CPU thread count while training; the caller's settings after."""
    fill = torch.utils.deterministic
    previous = torch.are_deterministic_algorithms_enabled(), torch.get_num_threads(), fill.fill_uninitialized_memory
    torch.set_num_threads(num_threads)
    torch.use_deterministic_algorithms(True)
    # deterministic mode also fills every new tensor with NaN, a debugging aid that cost 8 % of
    # a step; no result depends on it (every tensor is written before it is read)
    fill.fill_uninitialized_memory = False
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(previous[0])
        torch.set_num_threads(previous[1])
        fill.fill_uninitialized_memory = previous[2]


def load_dataset(path: Path, val_fraction: float, seed: int) -> Dataset:
    """Load the clips and split them with split_indices (the same split evaluation uses)."""
    try:
        videos, _labels = load_clips(path)
        digest = fingerprint(path)
    except DataFileError as exc:
        raise TrainError(f"data: {exc}") from exc
    n = len(videos)
    if n < 2:
        raise TrainError(f"data: {path} holds {n} clip(s); training needs at least 2 (one held out)")
    train_idx, val_idx = split_indices(n, val_fraction, seed)
    return Dataset(path, digest, videos[torch.from_numpy(train_idx)].contiguous(),
                   videos[torch.from_numpy(val_idx)].contiguous())


def build(config: RunConfig, n_train: int, dist: Dist | None = None) -> Trainer:
    """The stage (models, optimizers, schedules), initialised from the seed (the same on every rank)."""
    tc = config.train
    dist = dist or Dist()
    torch.manual_seed(tc.seed)
    try:
        stage = build_stage(config, n_train, dist)
    except UnknownStageError as exc:
        raise TrainError(f"config: {exc}") from exc
    augment_rng = torch.Generator().manual_seed(tc.seed + 1)
    return Trainer(config, stage, augment_rng, steps_per_epoch(tc, n_train, dist), dist)


# ----------------------------------------------------------------------------- resume


# ----------------------------------------------------------------------------- the loop


# ----------------------------------------------------------------------------- small facts


def _config_hash(config: RunConfig) -> str:
    return hashlib.sha256(json.dumps(config.to_dict(), sort_keys=True).encode()).hexdigest()


def _code_version() -> str | None:
    """The git commit of the trainer's source tree, or None outside a git checkout."""
    try:
        result = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).resolve().parent,
                                capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    commit = result.stdout.strip()
    return commit if result.returncode == 0 and commit else None
