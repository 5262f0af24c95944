"""Train the sine regressor.

    python -m rhea.train --run-dir runs/try1 --max-steps 5000
    python -m rhea.train --run-dir runs/try1 --max-steps 5000 --resume     # continue try1

On the cluster, go through scripts/requeue.sh rather than calling this directly.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time

import torch
import torch.nn.functional as F
import tyro

from rhea import ckpt
from rhea.config import Config
from rhea.data import SineBatches
from rhea.heartbeat import Heartbeat
from rhea.model import make_model
from rhea.preempt import REQUEUE_EXIT, PreemptFlag

log = logging.getLogger("rhea")


def write_status(cfg: Config, **fields) -> None:
    path = cfg.run_dir / "status.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps({"updated_at": time.time(), "pid": os.getpid(), **fields}, indent=1))
    os.replace(tmp, path)


def train(cfg: Config, flag: PreemptFlag | None = None) -> int:
    """Run until max_steps (returns 0) or until a preemption signal (returns REQUEUE_EXIT)."""
    flag = flag or PreemptFlag()
    torch.manual_seed(cfg.seed)
    cfg.run_dir.mkdir(parents=True, exist_ok=True)
    ckpt_dir = cfg.run_dir / "ckpt"

    model = make_model(cfg.hidden)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    data = SineBatches(cfg.data.batch_size, cfg.data.n_freqs, cfg.seed, cfg.data.latency_ms)

    step = 0
    if cfg.resume:
        last = ckpt.newest(ckpt_dir)
        if last is None:
            log.info("--resume given but %s has no step_*.pt; starting at step 0", ckpt_dir)
        else:
            step = ckpt.load(last, model, opt)
            log.info("resumed from %s at step %d", last, step)
    else:
        old = ckpt.list_steps(ckpt_dir)
        if old:
            log.warning("%d checkpoint(s) in %s ignored (no --resume)", len(old), ckpt_dir)
        log.info("starting at step 0")

    hb = Heartbeat(cfg.run_dir / "heartbeat.log")
    # hb.start()  # off since the hung-allreduce incident: the thread kept beating, see RUNBOOK
    hb.beat(step)

    loss = float("nan")
    last_saved = step
    t_last = time.perf_counter()
    while step < cfg.max_steps:
        x, y = data.batch(step)
        loss_t = F.mse_loss(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss_t.backward()
        opt.step()
        step += 1
        loss = loss_t.item()

        if step % cfg.log_every == 0:
            ms = (time.perf_counter() - t_last) * 1000 / cfg.log_every
            t_last = time.perf_counter()
            log.info("step %d loss %.5f lr %.1e %.1f ms/step", step, loss, cfg.lr, ms)
        if step % cfg.status_every == 0:
            write_status(cfg, state="running", step=step, max_steps=cfg.max_steps, loss=loss)
        if step % cfg.heartbeat_every == 0:
            hb.beat(step)
        if step % cfg.ckpt.save_every == 0:
            p = ckpt.save(ckpt_dir, step, model, opt)
            ckpt.prune(ckpt_dir, cfg.ckpt.keep_last)
            last_saved = step
            log.info("saved %s (periodic)", p)

        if flag.requested:
            p = ckpt.save(ckpt_dir, step, model, opt)
            last_saved = step
            write_status(cfg, state="preempted", step=step, max_steps=cfg.max_steps, loss=loss)
            log.info("saved %s (%s); exiting %d for requeue", p, flag.signame, REQUEUE_EXIT)
            hb.stop()
            return REQUEUE_EXIT

    if last_saved != step:
        p = ckpt.save(ckpt_dir, step, model, opt)
        log.info("saved %s (final)", p)
    write_status(cfg, state="finished", step=step, max_steps=cfg.max_steps, loss=loss)
    hb.stop()
    log.info("done at step %d, loss %.5f", step, loss)
    return 0


def main() -> None:
    cfg = tyro.cli(Config, description=__doc__.splitlines()[0])
    logging.basicConfig(stream=sys.stdout, level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(message)s", datefmt="%Y-%m-%d %H:%M:%S")
    log.info("cmd: python -m rhea.train %s", " ".join(sys.argv[1:]))
    log.info("pid %d host %s job %s", os.getpid(), os.uname().nodename,
             os.environ.get("SLURM_JOB_ID", "local"))
    flag = PreemptFlag().install()
    sys.exit(train(cfg, flag))


if __name__ == "__main__":
    main()
