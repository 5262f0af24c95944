import argparse
from dataclasses import dataclass, fields


@dataclass
class TrainConfig:
    # model
    vocab_size: int = 96
    block_size: int = 64
    n_layer: int = 4
    n_head: int = 4
    d_model: int = 64
    # activation checkpointing: recompute block activations in backward instead of
    # keeping them. checkpoint_every=k wraps every k-th block; 0 disables it.
    checkpoint_every: int = 1
    # optimisation
    batch_size: int = 16
    lr: float = 3e-3
    max_steps: int = 3000
    seed: int = 1337
    # bookkeeping
    out_dir: str = "runs/tiny"
    log_every: int = 25
    save_every: int = 500  # optimizer steps between state dumps in <out_dir>/ckpt/
    resume: bool = False  # pick up the newest <out_dir>/ckpt/step_*.pt


def parse_args(argv=None) -> TrainConfig:
    p = argparse.ArgumentParser(prog="python -m lm.train")
    for f in fields(TrainConfig):
        flag = "--" + f.name.replace("_", "-")
        if f.type is bool or f.type == "bool":
            p.add_argument(flag, action="store_true", default=f.default)
        else:
            typ = {"int": int, "float": float, "str": str}.get(f.type, f.type)
            p.add_argument(flag, type=typ, default=f.default)
    return TrainConfig(**vars(p.parse_args(argv)))
