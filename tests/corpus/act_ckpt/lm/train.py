import glob
import logging
import os
import sys
import time
from pathlib import Path

import torch

from lm.config import TrainConfig, parse_args
from lm.model import TinyLM

log = logging.getLogger("lm.train")


def load_corpus(vocab_size):
    # the package's own sources: small, always there, and text-like enough
    here = Path(__file__).parent
    text = "".join(p.read_text() for p in sorted(here.glob("*.py")))
    ids = [min(max(ord(c) - 32, 0), vocab_size - 1) for c in text]
    return torch.tensor(ids, dtype=torch.long)


def get_batch(data, cfg, gen):
    ix = torch.randint(len(data) - cfg.block_size - 1, (cfg.batch_size,), generator=gen)
    x = torch.stack([data[i:i + cfg.block_size] for i in ix])
    y = torch.stack([data[i + 1:i + 1 + cfg.block_size] for i in ix])
    return x, y


def save_checkpoint(path, model, opt, step, gen):
    tmp = str(path) + ".tmp"
    torch.save({"model": model.state_dict(), "optim": opt.state_dict(), "step": step,
                "rng": gen.get_state()}, tmp)
    os.replace(tmp, path)


def load_checkpoint(path, model, opt, gen):
    state = torch.load(path, map_location="cpu")
    model.load_state_dict(state["model"])
    opt.load_state_dict(state["optim"])
    gen.set_state(state["rng"])
    return state["step"]


def latest_checkpoint(ckpt_dir):
    paths = sorted(glob.glob(os.path.join(ckpt_dir, "step_*.pt")))
    return paths[-1] if paths else None


def setup_logging(out_dir):
    fmt = logging.Formatter("%(asctime)s %(message)s", "%Y-%m-%d %H:%M:%S")
    log.handlers.clear()
    log.setLevel(logging.INFO)
    log.propagate = True
    for h in (logging.StreamHandler(sys.stdout),
              logging.FileHandler(os.path.join(out_dir, "train.log"))):
        h.setFormatter(fmt)
        log.addHandler(h)


def train(cfg: TrainConfig):
    ckpt_dir = os.path.join(cfg.out_dir, "ckpt")
    os.makedirs(ckpt_dir, exist_ok=True)
    setup_logging(cfg.out_dir)
    log.info("argv: %s", " ".join(sys.argv[1:]))
    log.info("config: %s", cfg)

    torch.manual_seed(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed)
    data = load_corpus(cfg.vocab_size)
    model = TinyLM(cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr)

    step = 0
    if cfg.resume:
        path = latest_checkpoint(ckpt_dir)
        if path is None:
            log.info("--resume given but %s has no step_*.pt, starting fresh", ckpt_dir)
        else:
            step = load_checkpoint(path, model, opt, gen)
            log.info("resumed from %s at step %d", path, step)

    history = []
    model.train()
    t0 = time.time()
    while step < cfg.max_steps:
        x, y = get_batch(data, cfg, gen)
        _, loss = model(x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        history.append((step, loss.item()))

        if step % cfg.log_every == 0:
            dt = (time.time() - t0) * 1000 / cfg.log_every
            log.info("step %d | loss %.4f | %.1f ms/step", step, loss.item(), dt)
            t0 = time.time()
        if step % cfg.save_every == 0 and step < cfg.max_steps:
            path = os.path.join(ckpt_dir, f"step_{step:06d}.pt")
            save_checkpoint(path, model, opt, step, gen)
            log.info("saved %s", path)

    path = os.path.join(ckpt_dir, f"step_{step:06d}.pt")
    save_checkpoint(path, model, opt, step, gen)
    log.info("done at step %d, final state in %s", step, path)
    return history


def main(argv=None):
    train(parse_args(argv))


if __name__ == "__main__":
    main()
