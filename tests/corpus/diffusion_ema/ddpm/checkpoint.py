"""One checkpoint = one folder:

    step_000600/
        model.safetensors   online weights          (safetensors.torch.save_file)
        ema.safetensors     EMA weights, used for sampling
        optimizer.pt        AdamW state             (torch.save; safetensors holds tensors only)
        meta.json           step, smoothed loss, wall time, the arguments of the run

The folder is written under a temporary name and renamed when complete.
"""

import json
import os
import shutil
import time
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file


def save_checkpoint(folder, *, model, ema, optimizer, step, loss_avg, args):
    folder = Path(folder)
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    save_file(model.state_dict(), tmp / "model.safetensors")
    save_file(ema.state_dict(), tmp / "ema.safetensors")
    torch.save(optimizer.state_dict(), tmp / "optimizer.pt")
    meta = {"step": step, "loss_avg": loss_avg, "saved_at": time.time(), "args": args}
    (tmp / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(tmp, folder)
    return folder


def load_checkpoint(folder, *, model, ema, optimizer):
    """Restore everything save_checkpoint wrote; returns meta.json's content."""
    folder = Path(folder)
    model.load_state_dict(load_file(folder / "model.safetensors"))
    ema.load_state_dict(load_file(folder / "ema.safetensors"))
    optimizer.load_state_dict(torch.load(folder / "optimizer.pt", weights_only=True))
    return json.loads((folder / "meta.json").read_text())
