"""Our tokenizer's train step against magvit2-pytorch's VideoTokenizer, alternating; prints a Markdown table.

    .venv/bin/python bench/peer_magvit2.py [--peer-python /work/peer-venv/bin/python] [--rounds 3] [--steps 3]

The peer (magvit2-pytorch, which needs torch 2.14.1 and torchvision 0.29.1) lives in its own
virtual environment, never the project's; make it with

    python3.11 -m venv /work/peer-venv
    /work/peer-venv/bin/pip install torch==2.14.1 torchvision==0.29.1 magvit2-pytorch==0.5.1

The peer model is the one of issue 7's reference figure: VideoTokenizer with init_dim 32, two
spatial and two temporal compressions (to 64, 128, 128, 128 channels) with a residual unit
between them (3.49 M parameters), lookup-free quantization with 2^10 codes, reconstruction
loss only (no GAN, no perceptual loss), 17x32x32 clips (the first frame plus 16) at batch 8.
Ours is the trainer's step (deterministic algorithms, AdamW, gradient clipping at 1.0) on
16x32x32 clips, our model needing a frame count divisible by its temporal compression of 4:
the default config (magvit/configs/default.yaml), and the same design widened to 72 base
channels (3.71 M parameters) to match the peer's parameter count; both compress 4x in time
and 4x in space like the peer. clips/s is the figure compared; frames/s is given as well,
the peer's clips having one frame more.

Every measurement is a child process: one per model per round, the models alternating within
each round so that the machine's load falls on all of them alike; each child builds its model,
takes one untimed warm-up step, then times --steps steps. The table gives the median over
all timed steps of all rounds and the ratio to the peer. Children run with --threads torch
threads and OMP_WAIT_POLICY=PASSIVE unless --omp-wait-policy says otherwise (see
docs/benchmarks.md: with the default spinning wait, two threads on a loaded 2-core machine
run several times slower).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import PYTHON, ROOT, machine_line, run_child, table  # noqa: E402

PEER_LAYERS = ("residual", ("compress_space", 64), "residual", ("compress_space", 128), "residual",
               ("compress_time", 128), "residual", ("compress_time", 128), "residual")
BATCH = 8


def peer_child(steps: int, threads: int) -> dict:
    """magvit2-pytorch's VideoTokenizer train step (run under the peer's Python)."""
    import time
    import warnings

    warnings.filterwarnings("ignore")
    import torch
    from magvit2_pytorch import VideoTokenizer

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = VideoTokenizer(image_size=32, init_dim=32, codebook_size=2**10, layers=PEER_LAYERS, use_gan=False,
                           perceptual_loss_weight=0.0, flash_attn=False)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    x = torch.rand(BATCH, 3, 17, 32, 32)

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        loss = model(x, return_loss=True)
        loss = loss[0] if isinstance(loss, tuple) else loss
        loss.backward()
        opt.step()

    step()
    times = []
    for _ in range(steps):
        t = time.perf_counter()
        step()
        times.append(time.perf_counter() - t)
    return {"params": sum(p.numel() for p in model.parameters()), "frames": 17, "times": times,
            "torch": torch.__version__}


def ours_child(steps: int, threads: int, base_channels: int | None) -> dict:
    """Our tokenizer's train step as the trainer takes it (run under the project's Python)."""
    import dataclasses
    import time

    import torch

    from magvit.config import load_run_config
    from magvit.models import VQTokenizer

    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True)  # as magvit.train does
    torch.manual_seed(0)
    run_config = load_run_config(ROOT / "magvit" / "configs" / "default.yaml")
    cfg = run_config.tokenizer
    if base_channels is not None:
        # the same design, wider; GroupNorm stays per channel at the first level
        cfg = dataclasses.replace(cfg, base_channels=base_channels, num_groups=base_channels)
    model = VQTokenizer(cfg)
    tc = run_config.train
    opt = torch.optim.AdamW(model.parameters(), lr=tc.lr, weight_decay=tc.weight_decay)
    x = torch.rand(BATCH, 3, 16, 32, 32)

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        model(x).loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), tc.grad_clip)
        opt.step()

    step()
    times = []
    for _ in range(steps):
        t = time.perf_counter()
        step()
        times.append(time.perf_counter() - t)
    return {"params": sum(p.numel() for p in model.parameters()), "frames": 16, "times": times,
            "torch": torch.__version__}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peer-python", default="/work/peer-venv/bin/python")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=3, help="timed steps per child (after one warm-up step)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--omp-wait-policy", default="PASSIVE",
                        help="OMP_WAIT_POLICY of every child; '' leaves libgomp's default (spinning)")
    parser.add_argument("--child", choices=["peer", "ours", "ours-wide"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        if args.child == "peer":
            result = peer_child(args.steps, args.threads)
        else:
            result = ours_child(args.steps, args.threads, 72 if args.child == "ours-wide" else None)
        print(json.dumps(result))
        return
    peer_python = Path(args.peer_python)
    if not peer_python.exists():
        raise SystemExit(f"--peer-python {peer_python} does not exist: make the peer's environment first "
                         "(see this script's docstring)")
    env = {"PYTHONWARNINGS": "ignore"}
    if args.omp_wait_policy:
        env["OMP_WAIT_POLICY"] = args.omp_wait_policy
    else:
        os.environ.pop("OMP_WAIT_POLICY", None)
    models = {
        "magvit2-pytorch VideoTokenizer (peer)": [str(peer_python), __file__, "--child", "peer"],
        "ours, matched width (72 channels)": [PYTHON, __file__, "--child", "ours-wide"],
        "ours, default config": [PYTHON, __file__, "--child", "ours"],
    }
    common_args = ["--steps", str(args.steps), "--threads", str(args.threads)]
    print(f"<!-- {machine_line()} -->\n")
    results: dict[str, list[dict]] = {name: [] for name in models}
    for _ in range(args.rounds):
        for name, cmd in models.items():
            r = run_child(cmd + common_args, env=env)
            if r.returncode != 0:
                raise SystemExit(f"{name}: exited {r.returncode}:\n{r.stderr[-3000:]}")
            results[name].append(json.loads(r.stdout.strip().splitlines()[-1]))
    peer_name = next(iter(models))
    peer_step = statistics.median(t for d in results[peer_name] for t in d["times"])
    rows = []
    for name, ds in results.items():
        step = statistics.median(t for d in ds for t in d["times"])
        frames = ds[0]["frames"]
        rows.append([name, ds[0]["torch"], f"{ds[0]['params'] / 1e6:.2f} M", f"{frames}x32x32", step,
                     BATCH / step, BATCH * frames / step, f"{peer_step / step:.1f}x"])
    policy = args.omp_wait_policy or "default (spinning)"
    print(f"### train step at batch {BATCH}, {args.threads} threads, OMP_WAIT_POLICY {policy}: median of "
          f"{args.rounds} rounds x {args.steps} steps, models alternating\n")
    print(table(["model", "torch", "parameters", "clip", "s / step", "clips/s", "frames/s", "clips/s vs peer"],
                rows))
    print(f"\n<!-- {machine_line()} -->")


if __name__ == "__main__":
    main()
