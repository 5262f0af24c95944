# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Shapes classifier: training
# Tiny conv net on synthetic 16x16 "shapes" (squares, crosses, rings). Run all cells.

# %%
import json
import os
import time
import uuid
from datetime import datetime
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset
from tqdm.auto import tqdm

# %%
# config
SEED = 3
EPOCHS = 5
BATCH_SIZE = 24
LR = 3e-3
N_TRAIN = 1200
N_VAL = 240
CKPT_DIR = Path("checkpoints")
RESUME = None  # e.g. "checkpoints/epoch_002.pth" to continue a run
# the bucket mount is slow; set IO_SLEEP (seconds per image) to reproduce it locally
IO_SLEEP = float(os.environ.get("IO_SLEEP", "0"))

torch.manual_seed(SEED)
CKPT_DIR.mkdir(exist_ok=True)

# %% [markdown]
# ## Offline logger
# W&B is blocked on the training boxes, so we log the same way offline and sync later.

# %%
class OfflineRun:
    def __init__(self, project, config, root="wandb"):
        stamp = datetime.now().strftime("%Y%m%d_%H%M%S")
        self.id = uuid.uuid4().hex[:8]
        self.dir = Path(root) / f"offline-run-{stamp}-{self.id}" / "files"
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / "config.json").write_text(json.dumps({"project": project, **config}, indent=2))
        self._history = open(self.dir / "history.jsonl", "a")
        self._start = time.time()

    def log(self, data, step):
        row = {"_step": step, "_timestamp": round(time.time(), 3),
               "_runtime": round(time.time() - self._start, 3), **data}
        self._history.write(json.dumps(row) + "\n")
        self._history.flush()

    def finish(self):
        self._history.close()


run = OfflineRun("shapes", {"epochs": EPOCHS, "batch_size": BATCH_SIZE, "lr": LR, "seed": SEED})
print("offline run in", run.dir)

# %%
def draw(kind, size=16, g=None):
    img = torch.zeros(size, size)
    c = torch.randint(4, size - 4, (2,), generator=g)
    r = int(torch.randint(2, 4, (1,), generator=g))
    y0, x0 = int(c[0]), int(c[1])
    if kind == 0:
        img[y0 - r:y0 + r, x0 - r:x0 + r] = 1.0
    elif kind == 1:
        img[y0 - r:y0 + r + 1, x0] = 1.0
        img[y0, x0 - r:x0 + r + 1] = 1.0
    else:
        yy, xx = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
        d = ((yy - y0) ** 2 + (xx - x0) ** 2).float().sqrt()
        img[(d > r - 0.7) & (d < r + 0.7)] = 1.0
    return img + 0.15 * torch.randn(size, size, generator=g)


class Shapes(Dataset):
    def __init__(self, n, seed):
        g = torch.Generator().manual_seed(seed)
        self.y = torch.randint(0, 3, (n,), generator=g)
        self.x = torch.stack([draw(int(k), g=g) for k in self.y]).unsqueeze(1)

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        if IO_SLEEP:
            time.sleep(IO_SLEEP)
        return self.x[i], self.y[i]


train_ds = Shapes(N_TRAIN, seed=SEED)
val_ds = Shapes(N_VAL, seed=SEED + 1)
train_dl = DataLoader(train_ds, batch_size=BATCH_SIZE, shuffle=True)
val_dl = DataLoader(val_ds, batch_size=120)
len(train_ds), len(val_ds)

# %%
class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 8, 3, padding=1)
        self.c2 = nn.Conv2d(8, 16, 3, padding=1)
        self.fc = nn.Linear(16 * 4 * 4, 3)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.c1(x)), 2)
        x = F.max_pool2d(F.relu(self.c2(x)), 2)
        return self.fc(x.flatten(1))


model = SmallCNN()
opt = torch.optim.Adam(model.parameters(), lr=LR)
sum(p.numel() for p in model.parameters())

# %%
start_epoch = 0
global_step = 0
if RESUME:
    ckpt = torch.load(RESUME, weights_only=True)
    model.load_state_dict(ckpt["model"])
    opt.load_state_dict(ckpt["opt"])
    start_epoch = ckpt["epoch"] + 1
    global_step = ckpt["global_step"]
    print(f"resumed from {RESUME}, starting at epoch {start_epoch}")

# %%
def evaluate():
    model.eval()
    correct = total = 0
    loss_sum = 0.0
    with torch.no_grad():
        for xb, yb in val_dl:
            out = model(xb)
            loss_sum += F.cross_entropy(out, yb, reduction="sum").item()
            correct += (out.argmax(1) == yb).sum().item()
            total += len(yb)
    model.train()
    return loss_sum / total, correct / total

# %%
for epoch in range(start_epoch, EPOCHS):
    pbar = tqdm(train_dl, desc=f"epoch {epoch}")
    for xb, yb in pbar:
        loss = F.cross_entropy(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        global_step += 1
        pbar.set_postfix(loss=f"{loss.item():.3f}")
        run.log({"train/loss": loss.item(), "epoch": epoch}, step=global_step)

    val_loss, val_acc = evaluate()
    run.log({"val/loss": val_loss, "val/acc": val_acc, "epoch": epoch}, step=global_step)
    print(f"epoch {epoch}: val_loss={val_loss:.4f} val_acc={val_acc:.3f}")
    torch.save({"epoch": epoch, "global_step": global_step, "model": model.state_dict(),
                "opt": opt.state_dict()}, CKPT_DIR / f"epoch_{epoch:03d}.pth")

# %%
torch.save(model.state_dict(), CKPT_DIR / "final_weights.pth")
run.finish()
print("done", global_step, "steps")
