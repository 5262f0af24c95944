#!/usr/bin/env python
"""Regenerate tests/corpus/hf_cli's run: start the README's command, SIGKILL it once two
checkpoint-N folders exist, wait a short downtime, start the same command again (the
script resumes on its own), then record every file's mtime.

Run with the side virtual environment: /work/sidevenv/bin/python tests/corpus/_make/hf_cli.py
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1] / "hf_cli"
MTIMES = Path(__file__).resolve().parents[1] / "_mtimes" / "hf_cli.json"

# The README's command, without the shell's `2>&1 | tee -a train.log` (done below).
COMMAND = [
    "run_train.py",
    "--output_dir", "out",
    "--do_train",
    "--max_steps", "240",
    "--per_device_train_batch_size", "8",
    "--learning_rate", "1e-3",
    "--save_steps", "20",
    "--save_total_limit", "3",
    "--logging_steps", "5",
    "--log_level", "info",
    "--disable_tqdm", "true",
    "--read_latency_ms", "12",
]
GENERATED = ["out", "train.log"]
DOWNTIME_S = 8


def clean():
    for name in GENERATED:
        path = PROJECT / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    for cache in PROJECT.rglob("__pycache__"):
        shutil.rmtree(cache)


def start():
    # as a batch job's environment would: unbuffered output, and no carriage-return progress bars
    # (transformers' 'Writing model shards') in the captured log
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1",
              HF_HUB_DISABLE_PROGRESS_BARS="1")
    log = open(PROJECT / "train.log", "ab")  # tee -a
    return subprocess.Popen(
        ["nice", "-n", "10", sys.executable, *COMMAND],
        cwd=PROJECT, stdout=log, stderr=subprocess.STDOUT, env=env,
    )


def finished_checkpoints():
    out = PROJECT / "out"
    if not out.is_dir():
        return []
    return sorted(p for p in out.glob("checkpoint-*") if (p / "trainer_state.json").exists())


def write_mtimes():
    mtimes = {}
    for path in sorted(PROJECT.rglob("*")):
        # expected.yaml is our label, not part of the project's own files
        if path.is_file() and "__pycache__" not in path.parts and path.name != "expected.yaml":
            mtimes[path.relative_to(PROJECT).as_posix()] = path.stat().st_mtime
    MTIMES.write_text(json.dumps(mtimes, indent=1, sort_keys=True) + "\n")


def main():
    clean()
    first = start()
    while len(finished_checkpoints()) < 2:
        if first.poll() is not None:
            sys.exit(f"first session ended early with {first.returncode}")
        time.sleep(0.2)
    time.sleep(1.5)  # die between two saves, not right at one
    first.send_signal(signal.SIGKILL)
    first.wait()
    print("killed after", [p.name for p in finished_checkpoints()])
    time.sleep(DOWNTIME_S)
    second = start()
    if second.wait() != 0:
        sys.exit(f"second session failed with {second.returncode}")
    for cache in PROJECT.rglob("__pycache__"):
        shutil.rmtree(cache)
    write_mtimes()
    print("done:", sorted(p.name for p in (PROJECT / "out").iterdir()))


if __name__ == "__main__":
    main()
