"""Draw samples from a checkpoint's EMA weights and print them as ASCII art.

    python sample.py experiments/rect8/checkpoints/step_001200 --n 4
"""

import argparse
import json
from pathlib import Path

import torch
from safetensors.torch import load_file

from ddpm.schedule import LinearSchedule
from ddpm.unet import TinyEpsNet


def main():
    p = argparse.ArgumentParser()
    p.add_argument("checkpoint", type=Path)
    p.add_argument("--n", type=int, default=4)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    run_args = json.loads((args.checkpoint / "meta.json").read_text())["args"]
    timesteps = int(run_args["timesteps"])
    model = TinyEpsNet(int(run_args["channels"]), timesteps).eval()
    model.load_state_dict(load_file(args.checkpoint / "ema.safetensors"))
    images = LinearSchedule(timesteps).p_sample_loop(
        model, (args.n, 1, 8, 8), generator=torch.Generator().manual_seed(args.seed))
    for image in images:
        for row in image[0]:
            print("".join("#" if v > 0 else "." for v in row.tolist()))
        print()


if __name__ == "__main__":
    main()
