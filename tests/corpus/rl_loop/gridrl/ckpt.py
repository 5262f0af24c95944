import os
import re
from pathlib import Path

import torch

CKPT_NAME = re.compile(r"^ep_(\d+)\.pt$")


def save(path, agent, buffer, episode, epsilon):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {
        "episode": episode,
        "epsilon": epsilon,
        "updates": agent.updates,
        "q": agent.q.state_dict(),
        "target": agent.target.state_dict(),
        "optimizer": agent.optimizer.state_dict(),
        "replay": buffer.state_dict(),
    }
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)


def latest(ckpt_dir):
    """The ep_<N>.pt with the largest N, or None."""
    found = []
    for p in Path(ckpt_dir).glob("ep_*.pt"):
        m = CKPT_NAME.match(p.name)
        if m:
            found.append((int(m.group(1)), p))
    return max(found)[1] if found else None


def load(path, agent, buffer):
    state = torch.load(path, weights_only=True)
    agent.q.load_state_dict(state["q"])
    agent.target.load_state_dict(state["target"])
    agent.optimizer.load_state_dict(state["optimizer"])
    agent.updates = state["updates"]
    buffer.load_state_dict(state["replay"])
    return state["episode"], state["epsilon"]
