"""How the run-evidence collector scales with the number of checkpoints (not their size).

Builds run directories of N manifest checkpoints (ours) and N foreign torch checkpoints
(read statically from data.pkl) in a temporary folder, and prints the collection time.

    .venv/bin/python bench/run_evidence_scale.py [N ...]
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import torch

from auditor.config import ProjectConfig
from auditor.evidence import run as run_ev


def ours(root: Path, n: int) -> Path:
    ck = root / "checkpoints"
    ck.mkdir(parents=True)
    lines = [json.dumps({"ts": 0.0, "event": "run_start", "resume": "auto"})]
    for i in range(1, n + 1):
        (ck / f"step-{i:08d}.pt").write_bytes(b"x" * 64)
        (ck / f"step-{i:08d}.json").write_text(json.dumps({
            "format": "magvit-checkpoint/1", "file": f"step-{i:08d}.pt", "kind": "periodic", "step": i, "epoch": 0,
            "wall_time": 120.0 * i, "size_bytes": 64, "sha256": "0" * 64}))
        lines.append(json.dumps({"ts": 120.0 * i, "event": "checkpoint_saved", "kind": "periodic",
                                 "file": f"step-{i:08d}.pt"}))
    (root / "events.jsonl").write_text("\n".join(lines) + "\n")
    return root


def foreign(root: Path, n: int) -> Path:
    root.mkdir(parents=True)
    state = torch.nn.Linear(64, 64).state_dict()
    for i in range(n):
        torch.save({"epoch": i, "timestamp": 1000.0 + 50 * i, "model_state_dict": state},
                   root / f"run_checkpoint_epoch_{i}.pt")
    return root


def main(sizes: list[int]) -> None:
    torch.set_num_threads(1)
    print(f"{'layout':8} {'checkpoints':>11} {'collect s':>10} {'ms/file':>8}")
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            for layout, build in (("ours", ours), ("foreign", foreign)):
                run = build(Path(tmp) / layout, n)
                cfg = ProjectConfig(root=Path(tmp), checkpoint_patterns=("checkpoints/*.pt", "*.pt"))
                t0 = time.perf_counter()
                ev = run_ev.collect(cfg, run)
                dt = time.perf_counter() - t0
                assert len(ev.periodic()) == n, (layout, len(ev.periodic()))
                print(f"{layout:8} {n:>11} {dt:>10.3f} {1000 * dt / n:>8.3f}")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [100, 1000, 3000])
