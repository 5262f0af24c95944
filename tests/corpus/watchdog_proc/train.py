"""Train the 1-D denoiser.

    nohup python train.py --out runs/exp01 >> runs/exp01/train.out 2>&1 &
    python train.py --out runs/exp01 --resume runs/exp01/ckpt/preempt-000812.pt >> runs/exp01/train.out 2>&1
"""

import argparse
import signal
import sys
import time
from datetime import datetime
from pathlib import Path

import torch
import torch.nn.functional as F

from metrics import make_writer
from model import Denoiser, noisy_batches
from watchdog import start_watchdog


def log(msg):
    print(f"{datetime.now():%Y-%m-%d %H:%M:%S} | {msg}", flush=True)


def parse_args(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="runs/exp01")
    ap.add_argument("--steps", type=int, default=1400)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--length", type=int, default=128)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--save-every", type=int, default=400, help="steps between checkpoints")
    ap.add_argument("--print-every", type=int, default=50)
    ap.add_argument("--alive-every", type=float, default=15.0, help="seconds between alive.json writes")
    ap.add_argument("--loader-delay", type=float, default=0.25)
    ap.add_argument("--resume", default=None, help="checkpoint to continue from")
    ap.add_argument("--seed", type=int, default=0)
    return ap.parse_args(argv)


def snapshot(model, opt, step, gen):
    return {"model": model.state_dict(), "opt": opt.state_dict(), "step": step,
            "data_rng": gen.get_state()}


def main(argv=None):
    args = parse_args(argv)
    out = Path(args.out)
    ckpt_dir = out / "ckpt"
    ckpt_dir.mkdir(parents=True, exist_ok=True)
    log(f"start: {' '.join(sys.argv)}")

    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    model = Denoiser()
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    step = 0
    if args.resume:
        ck = torch.load(args.resume, map_location="cpu")
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        step = ck["step"]
        gen.set_state(ck["data_rng"])
        log(f"resumed from {args.resume} at step {step}")

    def on_sigterm(signum, frame):
        # preemption notice: save what we have and leave before the SIGKILL comes
        path = ckpt_dir / f"preempt-{step:06d}.pt"
        torch.save(snapshot(model, opt, step, gen), path)
        log(f"SIGTERM: saved {path}, exiting")
        sys.exit(143)

    signal.signal(signal.SIGTERM, on_sigterm)

    counter, stop, dog = start_watchdog(out / "alive.json", period=args.alive_every)
    counter.value = step
    log(f"watchdog pid {dog.pid} writes {out / 'alive.json'} every {args.alive_every:g}s")
    writer = make_writer(out / "tb")

    batches = noisy_batches(args.batch_size, args.length, gen, delay=args.loader_delay)
    t_last = time.time()
    try:
        while step < args.steps:
            noisy, clean = next(batches)
            loss = F.mse_loss(model(noisy), clean)
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
            counter.value = step
            writer.add_scalar("train/loss", loss.item(), step)

            if step % args.print_every == 0:
                dt = (time.time() - t_last) / args.print_every
                t_last = time.time()
                log(f"step {step:5d} | loss {loss.item():.4f} | {dt:.2f} s/step")
                writer.flush()
            if step % args.save_every == 0:
                path = ckpt_dir / f"step-{step:06d}.pt"
                torch.save(snapshot(model, opt, step, gen), path)
                log(f"saved {path}")
        torch.save(snapshot(model, opt, step, gen), ckpt_dir / "last.pt")
        log(f"done at step {step}, saved {ckpt_dir / 'last.pt'}")
    finally:
        writer.close()
        stop.set()
        dog.join(timeout=5)


if __name__ == "__main__":
    main()
