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
import math
import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
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
from magvit.rundir import CHECKPOINT_FORMAT, CHECKPOINTS_DIR, CONFIG_FILE
from magvit.runlock import DEFAULT_WAIT_S, RunLock, RunLockError
from magvit.signals import PreemptionHandler
from magvit.stages import UnknownStageError, build_stage, steps_per_epoch
from magvit.stages.base import Stage

RESUME_MODES = ("auto", "never")
EXIT_FINAL_NOT_SAVED = 4  # see the module docstring
EXIT_LOSS_NOT_FINITE = 5


@dataclass(frozen=True)
class TrainResult:
    """How a training session ended."""

    status: str
    """`finished`, `preempted` (a signal or the time limit stopped it) or `failed` (the final save)."""
    exit_code: int
    """Process exit code for this outcome (see the module docstring)."""
    step: int
    """Optimizer steps completed over all sessions."""
    epoch: int
    """Epochs completed."""
    best_metric: str
    """The stage's validation metric that picks best.pt (`val_recon` for the tokenizer)."""
    best_value: float | None
    """Its best (lowest) value so far."""


@dataclass
class RunState:
    """The position of a run and what it has learned about itself; goes into every checkpoint."""

    step: int = 0
    epoch: int = 0
    batch_in_epoch: int = 0
    """Optimizer steps taken in the current epoch."""
    samples_in_epoch: int = 0
    """Clips of the epoch's global order consumed (the position, whatever the world size)."""
    samples_seen: int = 0
    best_value: float | None = None
    """Lowest value of the stage's best_metric so far."""
    train_elapsed_s: float = 0.0
    step_losses: list[float] = field(default_factory=list)
    epoch_metrics: list[dict[str, float]] = field(default_factory=list)


@dataclass
class Dataset:
    """The clips of one run, split once with split_indices."""

    path: Path
    fingerprint: str
    train_x: torch.Tensor
    val_x: torch.Tensor


@dataclass
class Trainer:
    """The objects one session trains with."""

    config: RunConfig
    stage: Stage
    augment_rng: torch.Generator
    batches_per_epoch: int
    dist: Dist = field(default_factory=Dist)

    @property
    def total_steps(self) -> int:
        return self.batches_per_epoch * self.config.train.epochs


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
        echo = _silent  # rank 0 speaks for the group
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
    resume_from = _on_main(dist, lambda: _resume_point_and_clean(checkpoints, resume, echo, loaded))
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
        _announce_resume(resume_from, saved, state, events, echo, dist.world_size)
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


def _silent(_message: str) -> None:
    return None


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


def _resume_point_and_clean(checkpoints: CheckpointManager, resume: str, echo: Callable[[str], None],
                            loaded: dict[Path, dict]) -> Path | None:
    found = find_resume_point(checkpoints, resume, echo, loaded)
    checkpoints.clean_orphans()  # after the --resume never check, which counts unfinished saves too
    return found


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


def epoch_order(seed: int, epoch: int, n: int) -> torch.Tensor:
    """The data order of one epoch: a pure function of (seed, epoch)."""
    generator = torch.Generator().manual_seed(seed * 1_000_003 + epoch)
    return torch.randperm(n, generator=generator)


# ----------------------------------------------------------------------------- resume


def find_resume_point(checkpoints: CheckpointManager, resume: str, echo: Callable[[str], None] = _silent,
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
        best_value=saved[_best_key(trainer.stage)],
        train_elapsed_s=float(saved["train_elapsed_s"]),
        step_losses=[float(x) for x in history["step_loss"]],
        epoch_metrics=[dict(m) for m in history["epochs"]],
    )  # fmt: skip


def _announce_resume(path: Path, saved: dict, state: RunState, events: EventLog, echo: Callable[[str], None],
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


# ----------------------------------------------------------------------------- the loop


class Session:
    """One process's share of a run: epochs from the resume point until done or stopped."""

    def __init__(self, trainer: Trainer, state: RunState, dataset: Dataset, checkpoints: CheckpointManager,
                 progress: ProgressReporter, events: EventLog, preempt: PreemptionHandler,
                 deadline: float | None, echo: Callable[[str], None],
                 rank_heartbeat: RankHeartbeat | None = None) -> None:
        self.trainer, self.state, self.dataset = trainer, state, dataset
        self.checkpoints, self.progress, self.events = checkpoints, progress, events
        self.preempt, self.deadline, self.echo = preempt, deadline, echo
        self.tc = trainer.config.train
        self._clock_mark = time.monotonic()
        self._batch_mark = self._clock_mark
        self._throughput: float | None = None
        self.dist = trainer.dist
        self.rank_heartbeat = rank_heartbeat

    def run(self) -> TrainResult:
        """Train until the configured epochs are done or a stop is requested."""
        state, tc = self.state, self.tc
        # where the run stands from the start: a resumed session shows its checkpoint's position
        self.progress.update(step=state.step, epoch=state.epoch, batch=state.batch_in_epoch, write=True)
        if state.epoch >= tc.epochs:
            self.echo(f"Run already finished ({state.epoch} epochs, step {state.step}); nothing to do")
            return self._finish(save_final=not self._has_final())
        while state.epoch < tc.epochs:
            if self.run_epoch():
                return self._stop()
            self.validate()
            state.epoch += 1
            state.batch_in_epoch = state.samples_in_epoch = 0
            save, stop = self._agreed(self.checkpoints.should_save(step=state.step, epoch=state.epoch - 1,
                                                                   epoch_end=True))
            if save:
                self.save("periodic")
            if stop:
                return self._stop()
        return self._finish(save_final=True)

    # --- one epoch --------------------------------------------------------------------

    def run_epoch(self) -> bool:
        """Train the rest of the current epoch; True when a stop was requested at a batch boundary."""
        state, tc, trainer = self.state, self.tc, self.trainer
        n = len(self.dataset.train_x)
        order = epoch_order(tc.seed, state.epoch, n)
        self._batch_mark = time.monotonic()  # validation time is not training throughput
        step_clips = distributed.global_batch_size(tc.batch_size, self.dist)
        while state.samples_in_epoch < n:
            start = state.samples_in_epoch
            # flips are drawn for the whole global batch on every rank, then each rank takes its chunk
            x = self.augment(self.dataset.train_x[order[start:start + step_clips]])
            lr = trainer.stage.learning_rate()
            losses = self.train_step(distributed.shard(x, self.dist), len(x))
            state.batch_in_epoch += 1
            state.samples_in_epoch += len(x)
            state.samples_seen += len(x)
            self.report_batch(losses, len(x), lr)
            if state.samples_in_epoch >= n:
                break  # the epoch-end boundary comes after validation
            save, stop = self._agreed(self.checkpoints.should_save(step=state.step, epoch=state.epoch))
            if save:
                self.save("periodic")
            if stop:
                return True
        return False

    def _agreed(self, save_due: bool) -> tuple[bool, bool]:
        """(save now, stop now) as every rank will act on it: rank 0's clock decides saves, any rank's signal stops."""
        return distributed.agree(main_says=save_due, any_says=self._stop_requested(), dist=self.dist)

    def report_batch(self, losses: dict[str, float], clips: int, lr: float | None) -> None:
        """Progress files after every batch (the reporter throttles writes), a log line every log_every."""
        state = self.state
        now = time.monotonic()
        rate = clips / max(now - self._batch_mark, 1e-9)
        self._batch_mark = now
        self._throughput = rate if self._throughput is None else 0.9 * self._throughput + 0.1 * rate
        if self.rank_heartbeat is not None:
            self.rank_heartbeat.step = state.step
        self.progress.update(step=state.step, epoch=state.epoch, batch=state.batch_in_epoch, losses=losses,
                             throughput_clips_per_s=self._throughput)
        if self.progress.should_log(state.step):
            self.progress.log_batch(step=state.step, epoch=state.epoch, batch=state.batch_in_epoch, losses=losses,
                                    batches_per_epoch=self.trainer.batches_per_epoch,
                                    throughput_clips_per_s=self._throughput, lr=lr)

    def augment(self, x: torch.Tensor) -> torch.Tensor:
        """Random horizontal flips drawn from the run's own augmentation generator."""
        p = self.tc.flip_prob
        if p <= 0:
            return x
        flip = torch.rand(len(x), generator=self.trainer.augment_rng) < p
        return torch.where(flip[:, None, None, None, None], x.flip(-1), x)

    def train_step(self, x: torch.Tensor, n_global: int | None = None) -> dict[str, float]:
        """One step of the stage on this rank's clips `x` of a global batch of `n_global`; returns its losses.

        The losses returned (and kept in the history) are the clip-weighted means over all ranks.
        """
        state, dist = self.state, self.dist
        n_global = len(x) if n_global is None else n_global
        losses = self.trainer.stage.train_step(x, n_global, dist)
        state.step += 1
        losses = distributed.weighted_mean(losses, len(x), n_global, dist)
        self._require_finite(losses, f"at step {state.step} (epoch {state.epoch + 1}/{self.tc.epochs}, "
                                     f"batch {state.batch_in_epoch + 1}/{self.trainer.batches_per_epoch})")
        state.step_losses.append(losses["train"])
        return losses

    def _require_finite(self, values: dict[str, float], where: str) -> None:
        """Stop the run (TrainError, exit 5) before a NaN or infinite loss is reported, saved or trained on."""
        bad = {name: value for name, value in values.items() if not math.isfinite(value)}
        if not bad:
            return
        shown = ", ".join(f"{name}={value}" for name, value in values.items())
        raise TrainError(
            f"the loss is not finite {where}: {shown}. The run stops as failed and saves nothing after this "
            "step: its newest checkpoint holds the last good state. Resuming from it would repeat the same "
            "steps; lower train.lr, set train.grad_clip or check the data, in a new --run-dir.",
            EXIT_LOSS_NOT_FINITE,
        )

    # --- validation -------------------------------------------------------------------

    def validate(self) -> dict[str, float]:
        """The stage's metrics on the held-out split; saves `best` when its best_metric improves."""
        state, stage = self.state, self.trainer.stage
        stage_metrics = stage.validate(self.dataset.val_x, self.tc.batch_size)
        epoch_losses = state.step_losses[state.step - state.batch_in_epoch:]
        metrics = {"epoch": state.epoch + 1, "step": state.step,
                   "train_loss": sum(epoch_losses) / max(1, len(epoch_losses))}
        metrics.update(stage_metrics)
        metrics = distributed.broadcast_object(metrics, self.dist)  # every rank takes rank 0's best decision
        self._require_finite({k: float(v) for k, v in metrics.items()}, f"in the validation after epoch "
                             f"{state.epoch + 1}/{self.tc.epochs} (step {state.step})")
        state.epoch_metrics.append(metrics)
        self.echo(f"epoch {state.epoch + 1}/{self.tc.epochs} train loss {metrics['train_loss']:.4f} "
                  + stage.describe(stage_metrics))
        value = metrics[stage.best_metric]
        self.progress.update(step=state.step, epoch=state.epoch, batch=state.batch_in_epoch, write=True,
                             losses={"train": metrics["train_loss"], "val": metrics["val_loss"],
                                     stage.best_metric: value})
        if state.best_value is None or value < state.best_value:
            state.best_value = value
            # saved complete, at the end-of-epoch position: best.pt is also a resume point
            self.save("best", epoch=state.epoch + 1, batch_in_epoch=0, samples_in_epoch=0)
            self.events.emit("best_updated", step=state.step, metric=stage.best_metric, value=value)
        return metrics

    # --- saving and stopping ------------------------------------------------------------

    def save(self, kind: str, epoch: int | None = None, batch_in_epoch: int | None = None,
             samples_in_epoch: int | None = None) -> str | None:
        """Save everything needed to continue exactly; every rank calls it, rank 0 alone writes.
        Returns None when the checkpoint was committed, else the error (on every rank)."""
        state = self.state
        self._account_time()
        epoch = state.epoch if epoch is None else epoch
        batch_in_epoch = state.batch_in_epoch if batch_in_epoch is None else batch_in_epoch
        samples_in_epoch = state.samples_in_epoch if samples_in_epoch is None else samples_in_epoch
        payload = self.checkpoint_state(epoch, batch_in_epoch, samples_in_epoch)  # a collective: every rank gives its RNG state
        self.dist.barrier()
        error = self._write_checkpoint(kind, payload, epoch, batch_in_epoch) if self.dist.is_main else None
        # every rank learns the outcome, and no rank runs ahead of a save in progress
        return distributed.broadcast_object(error, self.dist)

    def _write_checkpoint(self, kind: str, payload: dict[str, Any], epoch: int, batch_in_epoch: int) -> str | None:
        state = self.state
        losses = self._latest_losses()
        try:
            manifest = self.checkpoints.save(
                payload, kind=kind, step=state.step, epoch=epoch, batch_in_epoch=batch_in_epoch,
                epochs=self.tc.epochs, losses=losses, train_elapsed_s=state.train_elapsed_s, stage=self.trainer.stage.name,
            )  # fmt: skip
        except CheckpointError as exc:
            # the manager has recorded checkpoint_failed; the previous checkpoints still stand
            going_on = "training goes on" if kind in ("periodic", "best") else "retrying is left to the next session"
            self.echo(f"warning: checkpoint save failed, {going_on}: {exc}")
            self.progress.checkpoint_failed(step=state.step, error=str(exc))
            return str(exc)
        self.progress.checkpoint_saved(manifest)
        return None

    def checkpoint_state(self, epoch: int, batch_in_epoch: int, samples_in_epoch: int | None = None) -> dict[str, Any]:
        """The checkpoint payload: the session's fields and the stage's state_dict in one dict of plain
        tensors, numbers, strings, lists and dicts."""
        trainer, state, stage = self.trainer, self.state, self.trainer.stage
        torch_global = torch.get_rng_state()
        per_rank = distributed.gather_objects(torch_global, self.dist)
        samples_in_epoch = state.samples_in_epoch if samples_in_epoch is None else samples_in_epoch
        session = {
            "format": CHECKPOINT_FORMAT,
            "stage": stage.name,
            "step": state.step,
            "epoch": epoch,
            "batch_in_epoch": batch_in_epoch,
            "samples_in_epoch": samples_in_epoch,
            "samples_seen": state.samples_seen,
            "epochs": self.tc.epochs,
            "world_size": self.dist.world_size,
            "global_batch_size": distributed.global_batch_size(self.tc.batch_size, self.dist),
            "rng": {"torch_global": torch_global, "augment": trainer.augment_rng.get_state()},
            # each rank's own global RNG (dead-code restarts draw from it), for an exact restart of the group
            "rng_per_rank": per_rank,
            "best_metric": stage.best_metric,
            _best_key(stage): state.best_value,
            "history": {"step_loss": list(state.step_losses), "epochs": [dict(m) for m in state.epoch_metrics]},
            "train_elapsed_s": state.train_elapsed_s,
            "wall_time": time.time(),
            "config": trainer.config.to_dict(),
            "data_fingerprint": self.dataset.fingerprint,
            "code_version": self.checkpoints.code_version,
        }
        stage_state = stage.state_dict()
        clash = sorted(set(session) & set(stage_state))
        if clash:
            raise RuntimeError(f"the {stage.name} stage's state uses the session's checkpoint keys {clash}")
        return {**session, **stage_state}

    def _latest_losses(self) -> dict[str, float]:
        losses = {}
        if self.state.step_losses:
            losses["train"] = self.state.step_losses[-1]
        if self.state.epoch_metrics:
            losses["val"] = self.state.epoch_metrics[-1]["val_loss"]
            metric = self.trainer.stage.best_metric
            losses[metric] = self.state.epoch_metrics[-1][metric]
        return losses

    def _account_time(self) -> None:
        now = time.monotonic()
        self.state.train_elapsed_s += now - self._clock_mark
        self._clock_mark = now

    def _stop_requested(self) -> bool:
        return self.preempt.requested() or (self.deadline is not None and time.monotonic() >= self.deadline)

    def _stop(self) -> TrainResult:
        """Save a `preempt` checkpoint and end the session so that the same command continues."""
        state = self.state
        reason = self.preempt.signal_name or "time-limit"
        self.save("preempt")
        self.events.emit("preempted", signal=reason, step=state.step)
        self.events.emit("run_end", status="preempted", step=state.step)
        self.progress.close("preempted")
        self.echo(f"Stopped by {reason} at epoch {state.epoch + 1}, step {state.step}; "
                  "run the same command again to continue.")
        return TrainResult("preempted", self.preempt.exit_code, state.step, state.epoch,
                           self.trainer.stage.best_metric, state.best_value)

    def _finish(self, save_final: bool) -> TrainResult:
        state = self.state
        error = self.save("final") if save_final else None
        if error is not None:
            return self._final_save_failed(error)
        self.events.emit("run_end", status="finished", step=state.step)
        self.progress.close("finished")
        best = self.trainer.stage.best_metric
        self.echo(f"Finished: {state.epoch} epochs, {state.step} steps, best {best} "
                  f"{state.best_value if state.best_value is None else round(state.best_value, 5)}")
        return TrainResult("finished", 0, state.step, state.epoch, best, state.best_value)

    def _final_save_failed(self, error: str) -> TrainResult:
        """No interval follows the final save: end as failed (exit 4), never as finished."""
        state = self.state
        self.events.emit("run_end", status="failed", step=state.step, error=f"final checkpoint not saved: {error}")
        self.progress.close("failed")
        self.echo(f"error: the final checkpoint could not be saved: {error}. The run is not finished; once "
                  "the disk is fixed, run the same command again: it resumes from the newest checkpoint.")
        return TrainResult("failed", EXIT_FINAL_NOT_SAVED, state.step, state.epoch, self.trainer.stage.best_metric,
                           state.best_value)

    def _has_final(self) -> bool:
        return (Path(self.checkpoints.directory) / "final.json").is_file()


# ----------------------------------------------------------------------------- small facts


def _best_key(stage: Stage) -> str:
    """The checkpoint key of the best value so far: `best_val_recon` for the tokenizer."""
    return f"best_{stage.best_metric}"


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
