"""Next-sample prediction on a simulated sensor feed with a one-layer GRU.

    python train.py [--steps N] [--out DIR] [--ckpt PATH] [--feed-delay S]
"""
import argparse
import json
import logging
import math
import os
import sys
import time

import torch
from torch import nn

SAVE_EVERY_MIN = 1.25      # minutes between overwrites of the checkpoint
PROGRESS_EVERY = 50        # steps between rewrites of progress.json
LOG_EVERY = 25             # steps between log lines
SEQ_LEN = 48
BATCH = 32
HIDDEN = 32

log = logging.getLogger("wavefit")


class SensorFeed:
    """Batches of noisy sine mixtures, handed out no faster than the feed allows."""

    def __init__(self, delay_s, seed=0):
        self.delay_s = delay_s
        self.gen = torch.Generator().manual_seed(seed)

    def next_batch(self):
        time.sleep(self.delay_s)
        t = torch.arange(SEQ_LEN + 1, dtype=torch.float32)
        freq = torch.rand(BATCH, 2, generator=self.gen) * 0.3 + 0.05
        phase = torch.rand(BATCH, 2, generator=self.gen) * 2 * math.pi
        wave = torch.sin(freq[:, :1] * t + phase[:, :1]) + 0.5 * torch.sin(freq[:, 1:] * t + phase[:, 1:])
        wave = wave + 0.05 * torch.randn(wave.shape, generator=self.gen)
        x = wave[:, :-1].unsqueeze(-1)
        y = wave[:, 1:].unsqueeze(-1)
        return x, y


class NextSample(nn.Module):
    def __init__(self, hidden=HIDDEN):
        super().__init__()
        self.rnn = nn.GRU(1, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out)


def save(path, model, opt, step, feed):
    log.info("saving checkpoint to %s (step %d)", path, step)
    torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step,
                "feed_rng": feed.gen.get_state()}, path)


def write_progress(path, step, total, loss, started, first_step):
    done = step - first_step
    rate = done / max(time.time() - started, 1e-6)
    eta = (total - step) / rate if rate > 0 else None
    with open(path, "w") as f:
        json.dump({"step": step, "total": total, "loss": round(loss, 5),
                   "eta_s": None if eta is None else round(eta), "updated": time.strftime("%Y-%m-%dT%H:%M:%S")}, f)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=1500)
    p.add_argument("--out", default="run")
    p.add_argument("--ckpt", default=None, help="checkpoint to read and overwrite (default <out>/last.pt)")
    p.add_argument("--feed-delay", type=float, default=0.2)
    p.add_argument("--lr", type=float, default=3e-3)
    args = p.parse_args()

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s",
                        stream=sys.stdout)
    os.makedirs(args.out, exist_ok=True)
    ckpt = args.ckpt or os.path.join(args.out, "last.pt")
    log.info("start pid=%d argv=%s", os.getpid(), " ".join(sys.argv))

    torch.manual_seed(0)
    model = NextSample()
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    feed = SensorFeed(args.feed_delay)
    step = 0
    if os.path.exists(ckpt):
        state = torch.load(ckpt, weights_only=False)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        feed.gen.set_state(state["feed_rng"])
        step = state["step"]
        log.info("found %s, resuming at step %d", ckpt, step)
    else:
        log.info("no checkpoint at %s, starting from scratch", ckpt)

    first_step = step
    started = time.time()
    last_save = time.time()
    loss_fn = nn.MSELoss()
    while step < args.steps:
        x, y = feed.next_batch()
        loss = loss_fn(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        step += 1

        if step % LOG_EVERY == 0:
            log.info("step %d/%d loss %.5f", step, args.steps, loss.item())
        if step % PROGRESS_EVERY == 0:
            write_progress(os.path.join(args.out, "progress.json"), step, args.steps,
                           loss.item(), started, first_step)
        if time.time() - last_save >= SAVE_EVERY_MIN * 60:
            save(ckpt, model, opt, step, feed)
            last_save = time.time()

    save(ckpt, model, opt, step, feed)
    write_progress(os.path.join(args.out, "progress.json"), step, args.steps, loss.item(),
                   started, first_step)
    log.info("done: %d steps", step)


if __name__ == "__main__":
    main()
