"""Checkpoint and progress costs on this machine; prints markdown tables.

    .venv/bin/python bench/bench_checkpoint.py [--sizes 1,10,100]

Save: CheckpointManager.save (atomic torch.save with sha256 in the same pass, fsync,
manifest) of a state of one float32 tensor. latest_valid: re-hashes the newest file.
Progress: ProgressReporter.write (progress.json + PROGRESS.txt, each fsynced) and the
throttled update() the loop calls every batch.
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
from pathlib import Path

import torch

from magvit.checkpoint import CheckpointManager
from magvit.progress import ProgressReporter


def bench_saves(sizes_mb: list[int], repeats: int = 3) -> None:
    print("| state MB | save s (median) | MB/s | latest_valid s |")
    print("|---:|---:|---:|---:|")
    for mb in sizes_mb:
        with tempfile.TemporaryDirectory() as tmp:
            manager = CheckpointManager(Path(tmp) / "checkpoints", keep_last=repeats)
            state = {"w": torch.randn(mb * 262144)}
            durations = []
            for step in range(1, repeats + 1):
                start = time.perf_counter()
                manifest = manager.save(state, kind="periodic", step=step, epoch=0, batch_in_epoch=step,
                                        epochs=1, losses={}, train_elapsed_s=0.0, stage="tokenizer")
                durations.append(time.perf_counter() - start)
            start = time.perf_counter()
            manager.latest_valid()
            discovery = time.perf_counter() - start
            median = statistics.median(durations)
            print(f"| {mb} | {median:.3f} | {manifest.size_bytes / 1e6 / median:.0f} | {discovery:.3f} |")


def bench_progress(writes: int = 50, updates: int = 1000) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        reporter = ProgressReporter(tmp, stage="tokenizer", epochs=1, total_steps=updates, stream=io.StringIO())
        reporter.start()
        start = time.perf_counter()
        for _ in range(writes):
            reporter.write()
        write_ms = (time.perf_counter() - start) / writes * 1e3
        start = time.perf_counter()
        for step in range(updates):
            reporter.update(step=step, epoch=0, batch=step, losses={"train": 1.0})
        update_us = (time.perf_counter() - start) / updates * 1e6
        reporter.close("finished")
    print()
    print("| progress operation | cost |")
    print("|---|---:|")
    print(f"| write() both files, fsynced | {write_ms:.2f} ms |")
    print(f"| update() per batch (throttled) | {update_us:.1f} us |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,10,100", help="state sizes in MB, comma separated")
    args = parser.parse_args()
    torch.set_num_threads(1)
    bench_saves([int(s) for s in args.sizes.split(",")])
    bench_progress()


if __name__ == "__main__":
    main()
