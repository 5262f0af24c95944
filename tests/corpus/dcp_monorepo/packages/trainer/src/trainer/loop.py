"""The training loop."""

from __future__ import annotations

import json
import logging
import os
import time
from datetime import datetime, timezone
from pathlib import Path

import torch
import torch.nn.functional as F

from toydata import SeriesConfig, WindowStream
from trainer import checkpointing
from trainer.config import RunConfig
from trainer.model import PatchMLP

log = logging.getLogger("trainer")


def write_progress(run_dir: Path, **fields) -> None:
    fields["updated_utc"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    tmp = run_dir / "progress.json.tmp"
    tmp.write_text(json.dumps(fields, indent=1))
    os.replace(tmp, run_dir / "progress.json")


def train(cfg: RunConfig) -> int:
    """Train until cfg.total_steps or until the session slot is used up; returns the step reached."""
    run_dir = Path(cfg.run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(cfg.seed)
    series = SeriesConfig()
    model = PatchMLP(series.context, series.horizon, cfg.hidden)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr)
    state = checkpointing.TrainState(model, optimizer)

    restored = checkpointing.restore_latest(state, run_dir)
    if restored is None:
        log.info("no complete checkpoint in %s; starting from step 0", run_dir / "checkpoints")
    else:
        log.info("restored %s (step %d)", restored, state.step)

    stream = WindowStream(series, cfg.batch_size, seed=cfg.seed, start=state.step, io_wait_s=cfg.io_wait_s)
    started = time.monotonic()
    last_saved_step = state.step
    while state.step < cfg.total_steps:
        x, y = next(stream)
        loss = F.mse_loss(model(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        state.step += 1

        if state.step % cfg.log_every_steps == 0:
            log.info("step %d/%d loss %.5f", state.step, cfg.total_steps, loss.item())
            write_progress(run_dir, step=state.step, total_steps=cfg.total_steps,
                           loss=round(loss.item(), 6), pid=os.getpid())
        if state.step % cfg.ckpt_every_steps == 0:
            path = checkpointing.save(state, run_dir)
            last_saved_step = state.step
            log.info("checkpoint %s", path)
        if cfg.session_minutes and time.monotonic() - started >= cfg.session_minutes * 60:
            if last_saved_step != state.step:
                path = checkpointing.save(state, run_dir)
                log.info("checkpoint %s (end of session slot)", path)
            log.info("session slot of %.1f min used up at step %d; rerun the same command to continue",
                     cfg.session_minutes, state.step)
            return state.step

    if last_saved_step != state.step:
        path = checkpointing.save(state, run_dir)
        log.info("checkpoint %s (final)", path)
    write_progress(run_dir, step=state.step, total_steps=cfg.total_steps, done=True, pid=os.getpid())
    log.info("finished at step %d", state.step)
    return state.step
