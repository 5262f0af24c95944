"""Shared helpers for the end-to-end training tests: real `python -m magvit train` subprocesses."""

from __future__ import annotations

import json
import math
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import torch
import yaml

REPO = Path(__file__).resolve().parents[2]
TINY = REPO / "magvit" / "configs" / "tiny.yaml"
TINY_DATA = {"n": 24, "frames": 4, "size": 16, "seed": 0}
# Runs that are interrupted last long enough (a few seconds) for a kill or a signal to land mid-run.
LONG = ("--epochs", "20")


def make_data(path: Path, **over: int) -> Path:
    """A small synthetic dataset file (the data module is not under test here)."""
    from magvit.data import make_dataset

    return make_dataset(path, **{**TINY_DATA, **over})


def tiny_train_config() -> dict:
    return yaml.safe_load(TINY.read_text())["train"]


def batches_per_epoch(n_clips: int = TINY_DATA["n"]) -> tuple[int, int]:
    """(clips in the training split, batches per epoch) for the tiny config."""
    from magvit.data import split_indices

    cfg = tiny_train_config()
    train_idx, _ = split_indices(n_clips, cfg["val_fraction"], cfg["seed"])
    return len(train_idx), math.ceil(len(train_idx) / cfg["batch_size"])


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(PYTHONUNBUFFERED="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    return env


def train_cmd(data: Path, run_dir: Path, *extra: str, config: Path = TINY) -> list[str]:
    return [sys.executable, "-m", "magvit", "train", "--data", str(data), "--run-dir", str(run_dir),
            "--config", str(config), *extra]  # fmt: skip


def run_train(data: Path, run_dir: Path, *extra: str, config: Path = TINY, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run training to completion in a subprocess; stdout and stderr captured as text."""
    return subprocess.run(train_cmd(data, run_dir, *extra, config=config), capture_output=True, text=True,
                          cwd=REPO, env=_env(), timeout=timeout)  # fmt: skip


class Trainer:
    """A training subprocess started in the background, its output going to a file."""

    def __init__(self, data: Path, run_dir: Path, *extra: str, config: Path = TINY) -> None:
        self.run_dir = run_dir
        run_dir.parent.mkdir(parents=True, exist_ok=True)
        self.out_path = run_dir.parent / f"{run_dir.name}.out.{time.monotonic_ns()}"
        self._out = open(self.out_path, "w")
        self.proc = subprocess.Popen(train_cmd(data, run_dir, *extra, config=config), stdout=self._out,
                                     stderr=subprocess.STDOUT, cwd=REPO, env=_env())  # fmt: skip

    def wait_for(self, predicate: Callable[[], bool], what: str, timeout: float = 120) -> None:
        """Poll `predicate` until true; fail if the process ends first or time runs out."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if self.proc.poll() is not None:
                raise AssertionError(f"trainer exited ({self.proc.returncode}) before {what}:\n{self.output()}")
            if time.monotonic() > deadline:
                self.kill()
                raise AssertionError(f"timed out waiting for {what}:\n{self.output()}")
            time.sleep(0.01)

    def wait_for_manifest(self, step: int, timeout: float = 120) -> None:
        path = self.run_dir / "checkpoints" / f"step-{step:08d}.json"
        self.wait_for(path.exists, f"manifest {path.name}", timeout)

    def signal(self, signum: int) -> None:
        self.proc.send_signal(signum)

    def kill(self) -> int:
        """SIGKILL the process (if still running) and return its exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        return self.wait()

    def wait(self, timeout: float = 300) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            self._out.close()

    def output(self) -> str:
        if not self._out.closed:
            self._out.flush()
        return self.out_path.read_text(errors="replace")


def events(run_dir: Path) -> list[dict]:
    path = run_dir / "events.jsonl"
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            pass
    return out


def of_kind(evs: list[dict], name: str) -> list[dict]:
    return [e for e in evs if e["event"] == name]


def manifests(run_dir: Path, kind: str | None = None) -> list[dict]:
    """Every committed manifest in the run's checkpoints folder, by step. A live trainer's retention
    may delete one between the listing and its read: it is no longer there, so it is not listed."""
    found = []
    for path in sorted((run_dir / "checkpoints").glob("*.json")):
        if path.name.startswith(".tmp-"):
            continue
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            continue
        if kind is None or data["kind"] == kind:
            found.append(data)
    return sorted(found, key=lambda m: (m["step"], m["wall_time"]))


def load(path: Path) -> dict:
    return torch.load(path, map_location="cpu", weights_only=True)


def final_checkpoint(run_dir: Path) -> dict:
    return load(run_dir / "checkpoints" / "final.pt")


def assert_same_training(a: dict, b: dict) -> None:
    """Two checkpoints hold bit-identical parameters, optimizer moments and loss histories."""
    assert a["step"] == b["step"]
    assert a["model"].keys() == b["model"].keys()
    different = [name for name in a["model"] if not torch.equal(a["model"][name], b["model"][name])]
    assert not different, f"parameters differ: {different}"
    for pid, state in a["optimizer"]["state"].items():
        for key, value in state.items():
            assert torch.equal(value, b["optimizer"]["state"][pid][key]), f"optimizer state {pid}.{key} differs"
    assert a["history"]["step_loss"] == b["history"]["step_loss"]
    assert a["history"]["epochs"] == b["history"]["epochs"]
    assert a["best_val_recon"] == b["best_val_recon"]


LOG_STEP = re.compile(r" batch=\d+/\d+ step=(\d+)/")


def logged_steps(text: str) -> list[int]:
    """Steps of the batch lines in a train.log or stdout text."""
    return [int(m.group(1)) for m in LOG_STEP.finditer(text)]
