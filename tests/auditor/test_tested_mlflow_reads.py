"""What a test of an MLflow-tracked trainer reads: the file store's metric files, and counts of
checkpoint files it lists (held-out mlflow_track).

- MLflow's local file store keeps one file per metric, `mlruns/<experiment>/<run>/metrics/<key>`,
  with a `timestamp value step` line per logged value: a test that reads `metrics/train_loss` and
  asserts one line for each step checks per-step logging. `train_loss` is a training loss.
- `steps = [int(f.stem.split("_")[1]) for f in files]` with `files` the listed `step_*.pt`, then
  `assert len([s for s in steps if s < 240]) >= 2`: a count of saves before the last step, read
  two bindings away from the listing, is a count of checkpoints.
- A count of logged lines is still no count of checkpoints, and an evaluation loss is no
  training loss.
"""

from __future__ import annotations

import auditor.probes  # noqa: F401  (fills the registry)
from auditor.evidence.behaviour import STEP_LOG, effects_of
from auditor.model import PROBES, Verdict
from tests.auditor.projects import evidence

TRAIN = """\
import argparse
import time

import mlflow
import torch


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--max-steps", type=int, default=1000)
    p.add_argument("--ckpt-minutes", type=float, default=2.0)
    args = p.parse_args(argv)
    mlflow.set_tracking_uri("file:./mlruns")
    model = torch.nn.Linear(4, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with mlflow.start_run():
        last = time.time()
        for step in range(1, args.max_steps + 1):
            loss = model(torch.randn(8, 4)).pow(2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            mlflow.log_metric("train_loss", loss.item(), step=step)
            if time.time() - last > args.ckpt_minutes * 60:
                torch.save(model.state_dict(), f"checkpoints/step_{step}.pt")
                last = time.time()
        torch.save(model.state_dict(), f"checkpoints/step_{args.max_steps}.pt")


if __name__ == "__main__":
    main()
"""

TESTS = """\
from pathlib import Path

import train


def test_timer_checkpoints(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    train.main(["--max-steps", "240", "--ckpt-minutes", "0.01"])
    files = sorted(Path("checkpoints").glob("step_*.pt"))
    steps = [int(f.stem.split("_")[1]) for f in files]
    assert steps[-1] == 240
    assert len([s for s in steps if s < 240]) >= 2, steps


def test_train_loss_every_step(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    train.main(["--max-steps", "60"])
    metric = next(Path("mlruns").glob("*/*/metrics/train_loss"))
    rows = [line.split() for line in metric.read_text().splitlines()]
    assert [int(r[2]) for r in rows] == list(range(1, 61))
"""

JUNIT = ('<?xml version="1.0"?><testsuites><testsuite name="pytest">'
         '<testcase classname="tests.test_train" name="test_timer_checkpoints" time="2"/>'
         '<testcase classname="tests.test_train" name="test_train_loss_every_step" time="2"/>'
         '</testsuite></testsuites>')


def _evidence(root):
    return evidence(root, {"README.md": "Train with `python train.py`.\n", "train.py": TRAIN,
                           "tests/test_train.py": TESTS, "reports/junit.xml": JUNIT})


def test_a_count_of_listed_checkpoints_before_the_last_step_shows_saves_during_training(tmp_path):
    ev = _evidence(tmp_path)
    r = PROBES["tests.effect_tested"](ev, effect="checkpoints", requirement="periodic-checkpoints")
    assert r.verdict == Verdict.YES and "test_timer_checkpoints" in r.summary, r.summary


def test_an_mlflow_metric_file_read_step_by_step_is_per_step_logging(tmp_path):
    ev = _evidence(tmp_path)
    r = PROBES["tests.effect_tested"](ev, effect="step_log", requirement="batch-monitoring")
    assert r.verdict == Verdict.YES and "test_train_loss_every_step" in r.summary, r.summary


def test_near_misses_are_no_per_step_logging():
    assert STEP_LOG not in effects_of('len(Path("out.log").read_text().splitlines()) >= 2')
    assert STEP_LOG not in effects_of('next(Path("mlruns").glob("*/*/metrics/val_loss")).read_text()')
    assert STEP_LOG in effects_of('log = Path("train.log").read_text(); "train_loss" in log')
