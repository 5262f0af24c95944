"""Train the character model.

    python -m charlm.train --out out [--max-iters N] [--ckpt-every N] [--resume out/ckpt_000400.pt]
"""
import argparse
import math
import os
import sys
import time
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from charlm.checkpoint import restore_checkpoint, save_checkpoint
from charlm.data import CharData
from charlm.model import CharTransformer


@dataclass
class Settings:
    out: str = "out"
    max_iters: int = 1000
    ckpt_every: int = 200      # iterations between checkpoints
    eval_every: int = 100
    eval_batches: int = 8
    log_every: int = 20
    batch_size: int = 16
    block_size: int = 32
    lr: float = 3e-4
    warmup: int = 50
    seed: int = 1337
    sleep_per_batch: float = 0.0


def say(msg):
    print(f"[{time.strftime('%Y-%m-%d %H:%M:%S')}] {msg}", flush=True)


def lr_at(it, s):
    if it < s.warmup:
        return s.lr * (it + 1) / s.warmup
    progress = (it - s.warmup) / max(1, s.max_iters - s.warmup)
    return 0.1 * s.lr + 0.9 * s.lr * 0.5 * (1 + math.cos(math.pi * progress))


@torch.no_grad()
def estimate_loss(model, data, s, gen):
    model.eval()
    out = {}
    for split in ("train", "val"):
        losses = []
        for _ in range(s.eval_batches):
            x, y = data.batch(split, s.batch_size, s.block_size, gen)
            losses.append(F.cross_entropy(model(x).flatten(0, 1), y.flatten()).item())
        out[split] = sum(losses) / len(losses)
    model.train()
    return out


def parse(argv=None):
    defaults = Settings()
    p = argparse.ArgumentParser(description="train the character model")
    for name, value in vars(defaults).items():
        p.add_argument("--" + name.replace("_", "-"), type=type(value), default=value)
    p.add_argument("--resume", default=None, help="checkpoint to continue from")
    args = p.parse_args(argv)
    resume = args.resume
    del args.resume
    return Settings(**vars(args)), resume


def main(argv=None):
    s, resume = parse(argv)
    os.makedirs(s.out, exist_ok=True)
    say("start: python -m charlm.train " + " ".join(sys.argv[1:]))
    torch.manual_seed(s.seed)
    gen = torch.Generator().manual_seed(s.seed)
    data = CharData()
    model = CharTransformer(data.vocab_size, block_size=s.block_size)
    opt = torch.optim.AdamW(model.parameters(), lr=s.lr, weight_decay=0.01)

    it = 0
    if resume:
        it = restore_checkpoint(resume, model, opt, gen)
        say(f"resumed from {resume} at it {it}")

    while it < s.max_iters:
        lr = lr_at(it, s)
        for group in opt.param_groups:
            group["lr"] = lr
        x, y = data.batch("train", s.batch_size, s.block_size, gen)
        if s.sleep_per_batch:
            time.sleep(s.sleep_per_batch)
        loss = F.cross_entropy(model(x).flatten(0, 1), y.flatten())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        it += 1

        if it % s.log_every == 0:
            say(f"it {it} | loss {loss.item():.3f} | lr {lr:.1e}")
        if it % s.eval_every == 0:
            losses = estimate_loss(model, data, s, gen)
            print(f"--- eval at iteration {it}: train {losses['train']:.4f}, val {losses['val']:.4f} ---",
                  flush=True)
        if it % s.ckpt_every == 0:
            path = os.path.join(s.out, f"ckpt_{it:06d}.pt")
            save_checkpoint(path, model, opt, it, gen, s)
            say(f"saved {path}")
    say(f"done at it {it}")


if __name__ == "__main__":
    main()
