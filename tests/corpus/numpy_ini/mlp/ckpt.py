"""Snapshots as .npz files: weights, momentum buffers, step and the RNG state.

A snapshot is written under a temporary name and renamed into place, so a job killed in the
middle of a write never leaves a half-written ckpt_*.npz behind.
"""

import glob
import json
import os

import numpy as np

PATTERN = "ckpt_{step:07d}.npz"


def save(run_dir, step, model, opt, rng, best_val):
    final = os.path.join(run_dir, PATTERN.format(step=step))
    tmp = final + ".tmp"
    arrays = {f"param_{k}": v for k, v in model.params.items()}
    arrays.update({f"vel_{k}": v for k, v in opt.velocity.items()})
    # np.savez appends ".npz" to a file *name*; handing it an open file keeps our tmp name
    with open(tmp, "wb") as f:
        np.savez(
            f,
            step=np.int64(step),
            best_val=np.float64(best_val),
            rng_state=np.array(json.dumps(rng.bit_generator.state)),
            **arrays,
        )
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, final)
    return final


def load(path):
    with np.load(path) as z:
        return {
            "step": int(z["step"]),
            "best_val": float(z["best_val"]),
            "rng_state": json.loads(str(z["rng_state"])),
            "params": {k[len("param_"):]: z[k].copy() for k in z.files if k.startswith("param_")},
            "velocity": {k[len("vel_"):]: z[k].copy() for k in z.files if k.startswith("vel_")},
        }


def restore(state, model, opt, rng):
    for k, v in state["params"].items():
        model.params[k][...] = v
    for k, v in state["velocity"].items():
        opt.velocity[k][...] = v
    rng.bit_generator.state = state["rng_state"]
    return state["step"], state["best_val"]


def latest(run_dir):
    found = sorted(glob.glob(os.path.join(run_dir, "ckpt_*.npz")))
    return found[-1] if found else None
