from pathlib import Path

import torch


def ckpt_path(ckpt_dir, step):
    return Path(ckpt_dir) / f"step_{step:06d}.pt"


def save_checkpoint(ckpt_dir, step, model, opt, data):
    ckpt_dir = Path(ckpt_dir)
    ckpt_dir.mkdir(parents=True, exist_ok=True)
    path = ckpt_path(ckpt_dir, step)
    tmp = path.with_suffix(".tmp")
    torch.save({"step": step, "model": model.state_dict(), "opt": opt.state_dict(),
                "data": data.state_dict()}, tmp)
    tmp.replace(path)
    return path


def newest_checkpoint(ckpt_dir):
    found = sorted(Path(ckpt_dir).glob("step_*.pt"))
    return found[-1] if found else None


def load_checkpoint(path, model, opt, data):
    state = torch.load(path, map_location="cpu")
    model.load_state_dict(state["model"])
    opt.load_state_dict(state["opt"])
    data.load_state_dict(state["data"])
    return state["step"]
