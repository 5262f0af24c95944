"""Tokenizer training throughput on this CPU, by execution setting; prints Markdown tables.

    .venv/bin/python bench/trainer_throughput.py [--rounds 3] [--steps 5] [--compile]

For the default tokenizer config (magvit/configs/default.yaml; --config for another) at batch 8
on 16x32x32 clips: parameters, FLOPs of one train step (forward + backward,
torch.utils.flop_counter.FlopCounterMode; the optimizer step is not counted), the median
time of the trainer's step (deterministic algorithms, AdamW, gradient clipping at 1.0, as
magvit.train takes it), clips/s, and the FLOP/s reached against the machine's float32
matrix-multiply peak (torch.mm of 2048x2048 at the same thread count, measured in the same
child between the steps).

Each setting is a child process; the settings alternate within each of --rounds rounds so
that the load of the machine falls on all of them alike, and each child takes 2 untimed
warm-up steps, then --steps timed ones. The figures are medians over all timed steps of all
rounds; "vs trainer now" is the ratio of the first setting's median step time (the trainer
as it runs today: libgomp's default spinning wait) to the row's, "vs passive" the same
against the second (OMP_WAIT_POLICY=PASSIVE), which every later setting also uses.
--compile adds `torch.compile` of the encoder and decoder (Module.compile(), in place: the
state_dict keys stay), one round, its first step (the compilation) reported apart.

A last child times the data path of one batch as the trainer runs it (8 clips taken from
the in-memory training tensor by the epoch order, random flips) against the step.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import PYTHON, ROOT, machine_line, run_child, table  # noqa: E402

# name -> (environment, settings); the first is the trainer as it runs today
# the others wait passively: on a loaded machine spinning threads swamp every other difference
PASSIVE = {"OMP_WAIT_POLICY": "PASSIVE"}
SETTINGS: dict[str, tuple[dict[str, str], dict]] = {
    "trainer now: 2 threads, spinning wait": ({}, {"threads": 2}),
    "2 threads, OMP_WAIT_POLICY=PASSIVE": (PASSIVE, {"threads": 2}),
    "passive, 1 thread": (PASSIVE, {"threads": 1}),
    "passive, 2 threads, channels_last_3d": (PASSIVE, {"threads": 2, "channels_last": True}),
    "passive, 2 threads, no NaN fill of new tensors": (PASSIVE, {"threads": 2, "no_fill": True}),
}
COMPILED = ("passive, 2 threads, torch.compile encoder + decoder", (PASSIVE, {"threads": 2, "compile": True}))


def child(config_path: str | None, setting: dict, steps: int, batch: int) -> dict:
    import time

    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from magvit.config import RunConfig, load_run_config
    from magvit.models import VQTokenizer

    torch.set_num_threads(setting["threads"])
    torch.use_deterministic_algorithms(True)  # as magvit.train does
    if setting.get("no_fill"):
        # deterministic mode fills every new tensor with NaN (to catch reads of uninitialised
        # memory); a float tensor that is always written before it is read does not need it
        torch.utils.deterministic.fill_uninitialized_memory = False
    torch.manual_seed(0)
    cfg = load_run_config(config_path) if config_path else RunConfig()
    model = VQTokenizer(cfg.tokenizer)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.train.lr, weight_decay=cfg.train.weight_decay)
    x = torch.rand(batch, 3, 16, 32, 32)
    if setting.get("channels_last"):
        model = model.to(memory_format=torch.channels_last_3d)
        x = x.contiguous(memory_format=torch.channels_last_3d)
    params = sum(p.numel() for p in model.parameters())
    with FlopCounterMode(display=False) as counter:
        model(x).loss.backward()
    flops = counter.get_total_flops()
    opt.zero_grad(set_to_none=True)
    if setting.get("compile"):
        model.encoder.compile()
        model.decoder.compile()
    clip = cfg.train.grad_clip

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        model(x).loss.backward()
        if clip is not None:
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step()

    a, b = torch.rand(2048, 2048), torch.rand(2048, 2048)

    def mm() -> float:
        t = time.perf_counter()
        torch.mm(a, b)
        return time.perf_counter() - t

    t = time.perf_counter()
    step()
    first = time.perf_counter() - t  # the compilation, for torch.compile
    step()
    mm()
    times, mms = [], []
    for _ in range(steps):
        t = time.perf_counter()
        step()
        times.append(time.perf_counter() - t)
        mms.append(mm())  # the peak measured under the same load as the steps
    return {"params": params, "flops": flops, "times": times, "first_s": first,
            "peak_flops": 2 * 2048**3 / statistics.median(mms)}


def data_path_child(config_path: str | None, batch: int, repeats: int = 200) -> dict:
    """Seconds to take one batch from the in-memory clips and flip it, as magvit.train does."""
    import time

    import torch

    from magvit.config import RunConfig, load_run_config

    cfg = load_run_config(config_path) if config_path else RunConfig()
    torch.set_num_threads(cfg.train.num_threads)
    train_x = torch.rand(180, 3, 16, 32, 32)  # the default dataset's training split, float32 in memory
    gen = torch.Generator().manual_seed(0)
    order = torch.randperm(len(train_x), generator=gen)
    times = []
    for i in range(repeats):
        t = time.perf_counter()
        start = (i * batch) % (len(train_x) - batch)
        x = train_x[order[start:start + batch]]
        flip = torch.rand(len(x), generator=gen) < cfg.train.flip_prob
        x = torch.where(flip[:, None, None, None, None], x.flip(-1), x)
        times.append(time.perf_counter() - t)
    return {"batch_s": statistics.median(times)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=None)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--compile", action="store_true", help="also torch.compile (about a minute to compile)")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    config = args.config
    if config is None and (ROOT / "magvit" / "configs" / "default.yaml").exists():
        config = str(ROOT / "magvit" / "configs" / "default.yaml")
    if args.child:
        if args.child == "data":
            print(json.dumps(data_path_child(config, args.batch)))
        else:
            settings = dict([*SETTINGS.items(), COMPILED])
            print(json.dumps(child(config, settings[args.child][1], args.steps, args.batch)))
        return

    def launch(name: str, env: dict[str, str], steps: int) -> tuple[dict | None, str, float]:
        r = run_child([PYTHON, __file__, "--child", name, "--steps", str(steps), "--batch", str(args.batch),
                       *(["--config", config] if config else [])], env=env)
        if r.returncode != 0:
            return None, (r.stderr.strip().splitlines() or ["?"])[-1][:100], r.peak_mb
        return json.loads(r.stdout.strip().splitlines()[-1]), "", r.peak_mb

    print(f"<!-- {machine_line()} -->\n")
    results: dict[str, list[dict]] = {name: [] for name in SETTINGS}
    failures: dict[str, str] = {}
    peaks: dict[str, float] = {}
    for _ in range(args.rounds):
        for name, (env, _setting) in SETTINGS.items():
            d, error, peak_mb = launch(name, env, args.steps)
            if d is None:
                failures[name] = error
            else:
                results[name].append(d)
                peaks[name] = peak_mb
    if args.compile:
        name, (env, _setting) = COMPILED
        d, error, peak_mb = launch(name, env, args.steps * args.rounds)
        results[name] = [d] if d else []
        if d is None:
            failures[name] = error
        peaks[name] = peak_mb
    baseline = passive = None
    rows = []
    for name, ds in results.items():
        if not ds:
            rows.append([name, f"failed: {failures.get(name, '?')}"] + [""] * 9)
            continue
        step = statistics.median(t for d in ds for t in d["times"])
        peak = statistics.median(d["peak_flops"] for d in ds)
        flops = ds[0]["flops"]
        baseline = baseline or step
        if name == "2 threads, OMP_WAIT_POLICY=PASSIVE":
            passive = step
        first = max(d["first_s"] for d in ds)
        rows.append([name, f"{ds[0]['params']:,}", f"{flops / 1e9:.2f}", step, args.batch / step,
                     f"{baseline / step:.2f}", f"{passive / step:.2f}" if passive else "",
                     f"{flops / step / 1e9:.1f}", f"{peak / 1e9:.1f}",
                     f"{flops / step / peak:.0%}", first if name == COMPILED[0] else "", peaks.get(name, 0.0)])
    print(f"### tokenizer train step, batch {args.batch}, 16x32x32 clips, config "
          f"{Path(config).relative_to(ROOT) if config else '(built-in defaults)'}: median of {args.rounds} rounds x "
          f"{args.steps} steps, settings alternating\n")
    print(table(["setting", "parameters", "GFLOP / step (fwd+bwd)", "s / step", "clips/s", "vs trainer now",
                 "vs passive", "GFLOP/s reached", "mm peak GFLOP/s", "of peak", "first step s", "peak MB"], rows))
    d, error, _ = launch("data", PASSIVE, 0)
    if d is not None and baseline:
        print(f"\ndata path (8 clips by the epoch order from the in-memory tensor, random flips): "
              f"{d['batch_s'] * 1e3:.2f} ms per batch, {d['batch_s'] / baseline:.2%} of the trainer's step")
    print(f"\n<!-- {machine_line()} -->")


if __name__ == "__main__":
    main()
