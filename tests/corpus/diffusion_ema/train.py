"""Train the toy DDPM.

    python train.py --run-dir experiments/rect8
    python train.py --run-dir experiments/rect8 --resume-from experiments/rect8/checkpoints/step_000600

See README.md for what lands in the run directory.
"""

import argparse
import os
import sys
import time
from datetime import datetime
from pathlib import Path

import torch
import torch.nn.functional as F

from ddpm import logs
from ddpm.checkpoint import load_checkpoint, save_checkpoint
from ddpm.data import RectangleBatches
from ddpm.ema import EMA
from ddpm.schedule import LinearSchedule
from ddpm.unet import TinyEpsNet

STATUS_EVERY = 20  # steps between rewrites of status.txt


def parse_args(argv=None):
    p = argparse.ArgumentParser(description="Train the toy DDPM on 8x8 rectangles.")
    p.add_argument("--run-dir", type=Path, required=True)
    p.add_argument("--resume-from", type=Path, default=None,
                   help="a checkpoint folder (…/checkpoints/step_NNNNNN) to continue from")
    p.add_argument("--max-steps", type=int, default=20_000)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=2e-4)
    p.add_argument("--channels", type=int, default=32)
    p.add_argument("--timesteps", type=int, default=200)
    p.add_argument("--ema-decay", type=float, default=0.999)
    p.add_argument("--save-every-min", type=float, default=2.5,
                   help="minutes of wall time between checkpoints")
    p.add_argument("--log-every", type=int, default=10)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--io-delay", type=float, default=0.0,
                   help="seconds of simulated image decoding per batch")
    return p.parse_args(argv)


def write_status(run_dir, **fields):
    fields["updated"] = datetime.now().strftime("%Y-%m-%d %H:%M:%S")
    text = "".join(f"{key}: {value}\n" for key, value in fields.items())
    tmp = run_dir / "status.txt.tmp"
    tmp.write_text(text)
    os.replace(tmp, run_dir / "status.txt")


def main(argv=None):
    args = parse_args(argv)
    run_dir = args.run_dir
    ckpt_root = run_dir / "checkpoints"
    run_dir.mkdir(parents=True, exist_ok=True)
    log = logs.setup(run_dir / "train.log")
    log.info("start pid %d: %s", os.getpid(), " ".join(sys.argv))

    torch.manual_seed(args.seed)
    schedule = LinearSchedule(args.timesteps)
    model = TinyEpsNet(args.channels, args.timesteps)
    ema = EMA(model, args.ema_decay)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr)
    data = RectangleBatches(args.batch_size, seed=args.seed, io_delay=args.io_delay)

    step, loss_avg = 0, None
    if args.resume_from is not None:
        meta = load_checkpoint(args.resume_from, model=model, ema=ema, optimizer=optimizer)
        step, loss_avg = meta["step"], meta["loss_avg"]
        torch.manual_seed(args.seed + step)
        log.info("resumed from %s at step %d", args.resume_from, step)

    def checkpoint(reason):
        folder = save_checkpoint(ckpt_root / f"step_{step:06d}", model=model, ema=ema,
                                 optimizer=optimizer, step=step, loss_avg=loss_avg,
                                 args={k: str(v) for k, v in vars(args).items()})
        log.info("saved %s (%s)", folder, reason)
        return folder

    save_every_s = args.save_every_min * 60.0
    last_save = time.monotonic()
    last_ckpt = args.resume_from
    started = time.monotonic()
    model.train()
    while step < args.max_steps:
        x0 = data.batch(step)
        t = torch.randint(0, args.timesteps, (x0.shape[0],))
        noise = torch.randn_like(x0)
        loss = F.mse_loss(model(schedule.q_sample(x0, t, noise), t), noise)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        ema.update(model)
        step += 1
        loss_avg = loss.item() if loss_avg is None else 0.98 * loss_avg + 0.02 * loss.item()

        if step % args.log_every == 0:
            log.info("", extra={"fields": {"step": step, "loss": f"{loss.item():.4f}",
                                           "loss_avg": f"{loss_avg:.4f}",
                                           "lr": f"{args.lr:.2e}"}})
        now = time.monotonic()
        if now - last_save >= save_every_s:
            last_ckpt = checkpoint(f"{now - last_save:.1f} s since the last save")
            last_save = now
        if step % STATUS_EVERY == 0:
            write_status(run_dir, state="training", step=f"{step} / {args.max_steps}",
                         loss_avg=f"{loss_avg:.4f}", elapsed_s=f"{now - started:.0f}",
                         last_checkpoint=last_ckpt or "none yet", pid=os.getpid())

    last_ckpt = checkpoint("end of training")
    write_status(run_dir, state="finished", step=f"{step} / {args.max_steps}",
                 loss_avg=f"{loss_avg:.4f}", elapsed_s=f"{time.monotonic() - started:.0f}",
                 last_checkpoint=last_ckpt, pid=os.getpid())
    log.info("finished at step %d", step)
    return 0


if __name__ == "__main__":
    sys.exit(main())
