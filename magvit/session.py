"""The training loop of one session: epochs of steps in the run's data order, validation,
checkpoints decided by the CheckpointManager, progress and events, preemption, NaN/Inf
checks, and the final save."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any, Callable

import torch

from magvit import distributed
from magvit.checkpoint import CheckpointError, CheckpointManager
from magvit.distributed import RankHeartbeat
from magvit.errors import TrainError
from magvit.progress import EventLog, ProgressReporter
from magvit.rundir import CHECKPOINT_FORMAT
from magvit.runstate import Dataset, EXIT_FINAL_NOT_SAVED, EXIT_LOSS_NOT_FINITE, RunState, TrainResult, Trainer, best_key, epoch_order
from magvit.signals import PreemptionHandler
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
            best_key(stage): state.best_value,
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
        self.progress.stop_heartbeat()  # no heartbeat event after run_end
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
        self.progress.stop_heartbeat()  # no heartbeat event after run_end
        self.events.emit("run_end", status="finished", step=state.step)
        self.progress.close("finished")
        best = self.trainer.stage.best_metric
        self.echo(f"Finished: {state.epoch} epochs, {state.step} steps, best {best} "
                  f"{state.best_value if state.best_value is None else round(state.best_value, 5)}")
        return TrainResult("finished", 0, state.step, state.epoch, best, state.best_value)

    def _final_save_failed(self, error: str) -> TrainResult:
        """No interval follows the final save: end as failed (exit 4), never as finished."""
        state = self.state
        self.progress.stop_heartbeat()  # no heartbeat event after run_end
        self.events.emit("run_end", status="failed", step=state.step, error=f"final checkpoint not saved: {error}")
        self.progress.close("failed")
        self.echo(f"error: the final checkpoint could not be saved: {error}. The run is not finished; once "
                  "the disk is fixed, run the same command again: it resumes from the newest checkpoint.")
        return TrainResult("failed", EXIT_FINAL_NOT_SAVED, state.step, state.epoch, self.trainer.stage.best_metric,
                           state.best_value)

    def _has_final(self) -> bool:
        return (Path(self.checkpoints.directory) / "final.json").is_file()
