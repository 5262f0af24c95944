"""A Lightning sweep is not one run: each `version_N/` of the log folder was launched with other
hyperparameters (its hparams.yaml differs) and none was given a checkpoint to continue from, so
each launch is a run of its own, never a restart of the one before. Taking them for one run's
sessions read every new launch as a restart from scratch ("lost work") and said nothing true
about resuming. Launches with the same hyperparameters, or a relaunch given a `ckpt_path`,
stay sessions of one run (tests/auditor/test_run_lightning_versions.py)."""

from __future__ import annotations

import os
from pathlib import Path

import auditor.probes  # noqa: F401  (registers the probes)
from auditor.discovery import discover
from auditor.model import Verdict
from tests.auditor.test_run_lightning_versions import PICKLE, T0, probe

CONFIG = "seed_everything: 7\ntrainer:\n  max_epochs: 4\nmodel:\n  lr: {lr}\nckpt_path: {ckpt}\n"


def _metrics(first: int, last: int) -> str:
    return "epoch,step,train_loss\n" + "".join(f"{s // 100},{s},0.5\n" for s in range(first, last, 10))


def sweep(root: Path, lrs=("0.1", "0.01", "0.001"), ckpt_of_second: str = "null") -> Path:
    files = {"main.py": ("from lightning.pytorch.cli import LightningCLI\nLightningCLI()\n", -600)}
    for n, lr in enumerate(lrs):
        at = n * 500
        folder = f"lightning_logs/version_{n}"
        ckpt = ckpt_of_second if n == 1 else "null"
        files.update({
            f"{folder}/config.yaml": (CONFIG.format(lr=lr, ckpt=ckpt), at),
            f"{folder}/hparams.yaml": (f"lr: {lr}\nhidden: 32\n", at),
            f"{folder}/checkpoints/epoch=1-step=199.ckpt": (PICKLE, at + 120),
            f"{folder}/checkpoints/epoch=3-step=399.ckpt": (PICKLE, at + 240),
            f"{folder}/metrics.csv": (_metrics(9, 400), at + 250),
        })
    files[f"lightning_logs/version_{len(lrs) - 1}/checkpoints/epoch=2-step=299.ckpt"] = (PICKLE, (len(lrs) - 1) * 500 + 180)
    for rel, (content, at) in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content, encoding="utf-8")
        os.utime(path, (T0 + at, T0 + at))
    return root


def test_each_launch_of_a_sweep_is_a_run_of_its_own(tmp_path):
    runs = [r.path for r in discover(sweep(tmp_path)).run_dirs]
    assert runs[0] == "lightning_logs/version_2", runs  # the most checkpoints
    assert set(runs) == {"lightning_logs/version_0", "lightning_logs/version_1", "lightning_logs/version_2"}, runs


def test_a_sweep_is_no_restart_from_scratch_and_no_evidence_of_resuming(tmp_path):
    sweep(tmp_path)
    for name in ("run.resumed", "run.auto_resumed"):
        r = probe(name, tmp_path)
        assert r.verdict == Verdict.NO_EVIDENCE, (name, r.summary)


def test_launches_with_the_same_hyperparameters_stay_one_run(tmp_path):
    runs = [r.path for r in discover(sweep(tmp_path, lrs=("0.01", "0.01"))).run_dirs]
    assert runs == ["lightning_logs"], runs


def test_a_relaunch_given_a_checkpoint_stays_one_run_whatever_its_hyperparameters(tmp_path):
    runs = [r.path for r in discover(sweep(tmp_path, lrs=("0.01", "0.005"),
                                           ckpt_of_second="lightning_logs/version_0/checkpoints/epoch=3-step=399.ckpt"))
            .run_dirs]
    assert runs == ["lightning_logs"], runs
