"""Tokenizer training throughput on this CPU; prints a Markdown table.

    .venv/bin/python bench/trainer_throughput.py [--config magvit/configs/default.yaml] [--steps 5]

For the tokenizer of --config (default: magvit/configs/default.yaml when it exists, else the
built-in defaults) at batch 8 on 16x32x32 clips: parameters, FLOPs of one train step
(forward + backward, torch.utils.flop_counter.FlopCounterMode; the optimizer step is not
counted), median time per step (AdamW step included) over --steps after 2 warm-up steps,
clips/s, and FLOP/s reached against the machine's measured float32 matrix-multiply peak
(torch.mm of 2048x2048 at the same thread count). Each variant runs in its own child process:
threads 1 and 2, channels_last_3d memory format, torch.compile.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import PYTHON, ROOT, machine_line, run_child, table  # noqa: E402

VARIANTS = {
    "eager 1 thread": {"threads": 1},
    "eager 2 threads": {"threads": 2},
    "channels_last_3d 2 threads": {"threads": 2, "channels_last": True},
    "torch.compile 2 threads": {"threads": 2, "compile": True},
}


def child(config_path: str | None, variant: dict, steps: int, batch: int) -> dict:
    import statistics
    import time

    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from magvit.config import RunConfig, load_run_config
    from magvit.models import VQTokenizer

    torch.set_num_threads(variant["threads"])
    torch.manual_seed(0)
    cfg = load_run_config(config_path) if config_path else RunConfig()
    model = VQTokenizer(cfg.tokenizer)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    x = torch.rand(batch, 3, 16, 32, 32)
    if variant.get("channels_last"):
        model = model.to(memory_format=torch.channels_last_3d)
        x = x.contiguous(memory_format=torch.channels_last_3d)
    params = sum(p.numel() for p in model.parameters())
    with FlopCounterMode(display=False) as counter:
        model(x).loss.backward()
    flops = counter.get_total_flops()
    opt.zero_grad(set_to_none=True)
    fwd = torch.compile(model) if variant.get("compile") else model

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        fwd(x).loss.backward()
        opt.step()

    t = time.perf_counter()
    step()
    first = time.perf_counter() - t  # includes compilation for torch.compile
    step()
    times = []
    for _ in range(steps):
        t = time.perf_counter()
        step()
        times.append(time.perf_counter() - t)
    a, b = torch.rand(2048, 2048), torch.rand(2048, 2048)
    torch.mm(a, b)
    mm = []
    for _ in range(5):
        t = time.perf_counter()
        torch.mm(a, b)
        mm.append(time.perf_counter() - t)
    return {"params": params, "flops": flops, "step_s": statistics.median(times), "first_s": first,
            "peak_flops": 2 * 2048**3 / statistics.median(mm)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=None)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated names of variants")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    config = args.config
    if config is None and (ROOT / "magvit" / "configs" / "default.yaml").exists():
        config = str(ROOT / "magvit" / "configs" / "default.yaml")
    if args.child:
        print(json.dumps(child(config, VARIANTS[args.child], args.steps, args.batch)))
        return
    print(f"<!-- {machine_line()} -->\n")
    print(f"### tokenizer train step, batch {args.batch}, 16x32x32 clips, config {config or '(built-in defaults)'}\n")
    rows = []
    for name in args.variants.split(","):
        r = run_child([PYTHON, __file__, "--child", name, "--steps", str(args.steps), "--batch", str(args.batch),
                       *(["--config", config] if config else [])])
        if r.returncode != 0:
            rows.append([name, "failed: " + (r.stderr.strip().splitlines() or ["?"])[-1][:80]] + [""] * 7)
            continue
        d = json.loads(r.stdout.strip().splitlines()[-1])
        rows.append([name, f"{d['params']:,}", f"{d['flops'] / 1e9:.2f}", d["step_s"], args.batch / d["step_s"],
                     d["first_s"], f"{d['flops'] / d['step_s'] / 1e9:.1f}", f"{d['peak_flops'] / 1e9:.1f}",
                     f"{d['flops'] / d['step_s'] / d['peak_flops']:.0%}", r.peak_mb])
    print(table(["variant", "parameters", "GFLOP / step (fwd+bwd)", "s / step", "clips/s", "first step s",
                 "GFLOP/s reached", "mm peak GFLOP/s", "of peak", "peak MB"], rows))
    print(f"\n<!-- {machine_line()} -->")


if __name__ == "__main__":
    main()
