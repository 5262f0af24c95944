"""How much training time checkpointing costs, and how long a resume takes.

Runs `magvit train` (default config and interval unless told otherwise) in two sessions:
the first is stopped by --time-limit part way (it saves a `preempt` checkpoint, as a
scheduler's wall-clock limit would), the second is the same command again and finishes.
From events.jsonl it reports:

- the share of training wall time blocked by checkpoint saves (sum of save_duration_s over
  all saves / wall time of the sessions from run_start to run_end);
- the median and largest save time and the checkpoint size;
- resume latency: process start to the `resumed_from` event (state restored) and to the
  first resumed step, in total and counted from the moment the trainer process had
  finished importing torch and magvit (it prints a timestamp then), so that the import
  time, which no checkpoint format can shorten, is reported apart.

    python bench/checkpoint_overhead.py                      # default config: minutes
    python bench/checkpoint_overhead.py --epochs 2 --checkpoint-every 20s --first-session 40s
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
BATCH_LINE = re.compile(r"^(\S+Z) \S+ epoch=\S+ batch=\S+ step=(\d+)/")


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONUNBUFFERED": "1"}


# Runs the `magvit` command line after stamping the time at which the imports were done.
_STAMPED_MAIN = """
import sys, time
import torch, magvit.train
from magvit.cli import main
print(f"IMPORTED {time.time():.6f}", flush=True)
sys.argv = ["magvit"] + sys.argv[1:]
main()
"""


def run_stamped(args: list[str]) -> float:
    """Run `magvit ARGS` to completion; return the Unix time its imports were finished."""
    result = subprocess.run([sys.executable, "-c", _STAMPED_MAIN, *args], cwd=REPO, env=_env(),
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"magvit {' '.join(args)} failed ({result.returncode}):\n{result.stderr[-2000:]}")
    match = re.search(r"^IMPORTED (\S+)$", result.stdout, re.M)
    return float(match.group(1))


def read_events(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines() if line.strip()]


def session_walls(events: list[dict]) -> list[float]:
    """Wall seconds of each session, run_start to its run_end."""
    walls, start = [], None
    for event in events:
        if event["event"] == "run_start":
            start = event["ts"]
        elif event["event"] == "run_end" and start is not None:
            walls.append(event["ts"] - start)
            start = None
    return walls


def first_step_after(log: Path, after: float) -> float | None:
    """Unix time of the first batch line in train.log written after `after`."""
    for line in log.read_text().splitlines():
        match = BATCH_LINE.match(line)
        if match:
            ts = datetime.fromisoformat(match.group(1).replace("Z", "+00:00")).timestamp()
            if ts >= after:
                return ts
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", type=Path, default=None, help="run config (default: built-in defaults)")
    parser.add_argument("--epochs", type=int, default=None, help="epochs (default: the config's)")
    parser.add_argument("--checkpoint-every", default=None, help="interval (default: the config's, 2m)")
    parser.add_argument("--first-session", default="3m", help="time limit of the first session (default 3m)")
    parser.add_argument("--clips", type=int, default=200, help="clips in the generated dataset")
    parser.add_argument("--keep", type=Path, default=None, help="keep the run directory here")
    args = parser.parse_args()

    from magvit.data import make_dataset

    work = Path(tempfile.mkdtemp(prefix="ckpt-bench-"))
    data = make_dataset(work / "data.npz", n=args.clips)
    run_dir = args.keep or work / "run"
    # a batch line every step (an execution key: the trajectory is unchanged) times the first resumed step
    config = yaml.safe_load(args.config.read_text()) if args.config else {}
    config.setdefault("train", {})["log_every"] = 1
    (work / "config.yaml").write_text(yaml.safe_dump(config))
    command = ["train", "--data", str(data), "--run-dir", str(run_dir), "--config", str(work / "config.yaml")]
    if args.epochs:
        command += ["--epochs", str(args.epochs)]
    if args.checkpoint_every:
        command += ["--checkpoint-every", args.checkpoint_every]

    print(f"session 1: magvit {' '.join(command)} --time-limit {args.first_session}", flush=True)
    run_stamped(command + ["--time-limit", args.first_session])
    print("session 2: the same command, resumed", flush=True)
    started = time.time()
    imported = run_stamped(command)

    events = read_events(run_dir)
    saves = [e for e in events if e["event"] == "checkpoint_saved"]
    durations = [e["save_duration_s"] for e in saves]
    walls = session_walls(events)
    resumed = next(e for e in events if e["event"] == "resumed_from" and e["ts"] >= started)
    first_step = first_step_after(run_dir / "train.log", started)
    train_cfg = yaml.safe_load((run_dir / "config.yaml").read_text())["train"]

    rows = [
        ("sessions", f"{len(walls)}"),
        ("training wall time (s)", f"{sum(walls):.1f}"),
        ("checkpoint saves (all kinds)", f"{len(saves)} ({sum(e['kind'] == 'periodic' for e in saves)} periodic)"),
        ("checkpoint size (MB)", f"{statistics.median(e['size_bytes'] for e in saves) / 1e6:.1f}"),
        ("time blocked by saves (s)", f"{sum(durations):.3f}"),
        ("share of wall time blocked", f"{100 * sum(durations) / sum(walls):.3f} %"),
        ("median save (s)", f"{statistics.median(durations):.3f}"),
        ("largest save (s)", f"{max(durations):.3f}"),
        ("process start -> imports done (s)", f"{imported - started:.2f}"),
        ("process start -> state restored (s)", f"{resumed['ts'] - started:.2f}"),
        ("  after imports (s)", f"{resumed['ts'] - imported:.2f}"),
        ("process start -> first resumed step (s)", f"{first_step - started:.2f}" if first_step else "n/a"),
        ("  after imports (s)", f"{first_step - imported:.2f}" if first_step else "n/a"),
    ]
    width = max(len(name) for name, _ in rows)
    print(f"\nepochs {train_cfg['epochs']}, batch {train_cfg['batch_size']}, "
          f"checkpoint_every {train_cfg['checkpoint_every']}, first session {args.first_session}\n")
    print(f"| {'measure':<{width}} | value |")
    print(f"|{'-' * (width + 2)}|-------|")
    for name, value in rows:
        print(f"| {name:<{width}} | {value} |")
    share = sum(durations) / sum(walls)
    print(f"\nblocking share {'within' if share <= 0.01 else 'ABOVE'} the 1 % budget")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
