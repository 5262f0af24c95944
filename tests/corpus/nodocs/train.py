import glob
import logging
import os

import torch
import torch.nn.functional as F

from model import Net

CKPT_DIR = "checkpoints"
CKPT_EVERY_STEPS = 50
LOG_EVERY = 10
MAX_STEPS = 300
BATCH_SIZE = 128
LR = 3e-3
SEED = 0

os.makedirs(CKPT_DIR, exist_ok=True)
logging.basicConfig(
    level=logging.INFO,
    format="%(asctime)s %(message)s",
    handlers=[logging.StreamHandler(), logging.FileHandler(os.path.join(CKPT_DIR, "train.log"))],
)
log = logging.getLogger(__name__)

# target: a fixed random mix of sines
_w = torch.randn(8, generator=torch.Generator().manual_seed(1234))


def make_batch(gen):
    x = torch.rand(BATCH_SIZE, 8, generator=gen) * 4 - 2
    y = (torch.sin(2 * x) * _w).sum(-1)
    return x, y


def latest_checkpoint():
    ckpts = sorted(glob.glob(os.path.join(CKPT_DIR, "step_*.pt")))
    return ckpts[-1] if ckpts else None


def save(path, model, opt, step):
    torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step}, path)
    log.info("saved %s", path)


def main():
    torch.manual_seed(SEED)
    model = Net()
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    step = 0

    last = latest_checkpoint()
    if last is not None:
        ckpt = torch.load(last)
        model.load_state_dict(ckpt["model"])
        opt.load_state_dict(ckpt["opt"])
        step = ckpt["step"]
        log.info("resuming from %s (step %d)", last, step)
    else:
        log.info("no checkpoint found, training from scratch")

    gen = torch.Generator().manual_seed(SEED + step)
    while step < MAX_STEPS:
        x, y = make_batch(gen)
        loss = F.mse_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        step += 1

        if step % LOG_EVERY == 0:
            log.info("step %d | loss %.5f", step, loss.item())
        if step % CKPT_EVERY_STEPS == 0:
            save(os.path.join(CKPT_DIR, f"step_{step:06d}.pt"), model, opt, step)

    save(os.path.join(CKPT_DIR, "final.pt"), model, opt, step)


if __name__ == "__main__":
    main()
