import logging
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from .data import ShardLoader, make_dataset
from .model import build_mlp
from .state import newest_state, persist_state, restore_state
from .status import write_status

log = logging.getLogger("kestrel")


@dataclass
class TrainResult:
    first_step: int
    last_step: int
    final_loss: float
    state_files: list


def _attach_file_log(out_dir):
    handler = logging.FileHandler(Path(out_dir) / "train.log")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    return handler


def train(cfg, resume_from=None, continue_run=False):
    out_dir = Path(cfg.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    handler = _attach_file_log(out_dir)
    try:
        return _train(cfg, out_dir, resume_from, continue_run)
    finally:
        log.removeHandler(handler)
        handler.close()


def _train(cfg, out_dir, resume_from, continue_run):
    torch.manual_seed(cfg.seed)
    x, y = make_dataset(cfg.n_samples, cfg.n_features, cfg.seed)
    loader = ShardLoader(x, y, cfg.batch_size, cfg.read_latency_s, cfg.seed)
    model = build_mlp(cfg.n_features, cfg.hidden)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr)

    if continue_run and resume_from is None:
        resume_from = newest_state(out_dir)
    step = 0
    if resume_from is not None:
        step = restore_state(resume_from, model, optimizer, loader.gen)
        log.info("continuing from %s at step %d", resume_from, step)
    first_step = step
    log.info("training to step %d, persisting every %.0fs", cfg.max_steps, cfg.persist_every_s)

    written = []
    last_persist = last_status = time.monotonic()
    loss_value = float("nan")
    epoch = step // len(loader)
    while step < cfg.max_steps:
        epoch_start, epoch_losses = time.monotonic(), []
        for xb, yb in loader:
            loss = torch.nn.functional.mse_loss(model(xb), yb)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            step += 1
            loss_value = loss.item()
            epoch_losses.append(loss_value)

            if step % cfg.log_every == 0:
                log.info("step %d epoch %d loss %.4f", step, epoch, loss_value)
            now = time.monotonic()
            if now - last_status >= cfg.status_every_s:
                write_status(out_dir, state="running", step=step, max_steps=cfg.max_steps,
                             loss=loss_value)
                last_status = now
            if now - last_persist >= cfg.persist_every_s:
                written.append(persist_state(out_dir, step, model, optimizer, loader.gen, cfg.keep_states))
                log.info("persisted %s", written[-1].name)
                last_persist = now
            if step >= cfg.max_steps:
                break
        log.info("epoch %d done: mean loss %.4f in %.1fs", epoch,
                 sum(epoch_losses) / max(len(epoch_losses), 1), time.monotonic() - epoch_start)
        epoch += 1

    written.append(persist_state(out_dir, step, model, optimizer, loader.gen, cfg.keep_states))
    log.info("persisted %s (end of training)", written[-1].name)
    write_status(out_dir, state="finished", step=step, max_steps=cfg.max_steps, loss=loss_value)
    return TrainResult(first_step, step, loss_value, [p.name for p in written])
