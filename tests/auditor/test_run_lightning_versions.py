"""Lightning's log folder as one run: each launch of `fit` writes a new `version_N/` under the
logger's root (`lightning_logs/`), with its config.yaml (LightningCLI's SaveConfigCallback: the
launch's resolved configuration, `ckpt_path` included), hparams.yaml, metrics.csv and
checkpoints/. A killed run relaunched with `--ckpt_path .../version_0/checkpoints/last.ckpt`
continues in version_1: the launches are sessions of one run, the console log they all append
to (`... | tee -a train.log`) is split at each launch's banner, each session takes its times from
its folder's files, and the `ckpt_path` its config.yaml records is an explicit resume."""

from __future__ import annotations

import os
from pathlib import Path

import auditor.probes  # noqa: F401  (registers the probes)
from auditor.config import load_config
from auditor.discovery import discover
from auditor.evidence import Evidence
from auditor.model import PROBES, Verdict
from auditor.resolve import resolve

PICKLE = b"\x80\x04}\x94."
T0 = 1796284456  # 2026-12-03 07:54:16 UTC
BANNER = "Seed set to 1234\nGPU available: False, used: False\n"
RESTORE = "Restored all states from the checkpoint at lightning_logs/version_0/checkpoints/last.ckpt\n"
CONFIG = "seed_everything: 1234\ntrainer:\n  max_epochs: 32\nmodel:\n  lr: 0.01\nckpt_path: {ckpt}\n"


def _metrics(first: int, last: int) -> str:
    return "epoch,step,train_loss,val_loss\n" + "".join(f"{s // 100},{s},0.5,\n" for s in range(first, last, 10))


def lightning_project(root: Path, restore_line: bool = True, ckpt: str = "lightning_logs/version_0/checkpoints/"
                      "last.ckpt") -> Path:
    files = {  # path -> (content, seconds after T0 it was last written)
        "main.py": ("from lightning.pytorch.cli import LightningCLI\nLightningCLI()\n", -600),
        "lightning_logs/version_0/config.yaml": (CONFIG.format(ckpt="null"), 0),
        "lightning_logs/version_0/hparams.yaml": ("lr: 0.01\n", 0),
        "lightning_logs/version_0/checkpoints/epoch=9-step=1233.ckpt": (PICKLE, 120),
        "lightning_logs/version_0/checkpoints/epoch=19-step=2463.ckpt": (PICKLE, 240),
        "lightning_logs/version_0/checkpoints/last.ckpt": (PICKLE, 240),
        "lightning_logs/version_0/metrics.csv": (_metrics(9, 2680), 260),
        "lightning_logs/version_0/status.json": ('{"state": "running", "step": 2650, "updated": '
                                                 '"2026-12-03T07:58:33+0000"}\n', 257),
        "lightning_logs/version_1/config.yaml": (CONFIG.format(ckpt=ckpt), 279),
        "lightning_logs/version_1/hparams.yaml": ("lr: 0.01\n", 279),
        "lightning_logs/version_1/checkpoints/epoch=29-step=3713.ckpt": (PICKLE, 400),
        "lightning_logs/version_1/checkpoints/last.ckpt": (PICKLE, 400),
        "lightning_logs/version_1/metrics.csv": (_metrics(2469, 4100), 437),
        "lightning_logs/version_1/status.json": ('{"state": "finished", "step": 4096, "updated": '
                                                 '"2026-12-03T08:01:33+0000"}\n', 437),
        "train.log": (BANNER + "Trainable params: 6.3 K\n" + BANNER + (RESTORE if restore_line else "")
                      + "`Trainer.fit` stopped: `max_epochs=32` reached.\n", 437),
    }
    for rel, (content, at) in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content, encoding="utf-8")
        os.utime(path, (T0 + at, T0 + at))
    return root


def probe(name: str, root: Path, **params):
    config = resolve(load_config(root))
    return PROBES[name](Evidence(config, root / config.run_dir), **params)


def test_the_run_is_the_lightning_log_folder_not_one_version(tmp_path):
    runs = discover(lightning_project(tmp_path)).run_dirs
    assert runs[0].path == "lightning_logs"


def test_each_version_folder_is_a_session_and_the_relaunch_resumed(tmp_path):
    lightning_project(tmp_path)
    r = probe("run.resumed", tmp_path)
    assert r.verdict == Verdict.YES and r.measured["sessions"] == 2, r.summary
    assert "version_0/checkpoints/last.ckpt" in r.summary


def test_the_ckpt_path_a_launch_recorded_in_its_config_is_an_explicit_resume(tmp_path):
    lightning_project(tmp_path)
    r = probe("run.auto_resumed", tmp_path)
    assert r.verdict == Verdict.NO and "ckpt_path" in r.summary, r.summary
    assert any(c.source == "version_1/config.yaml" and c.line == 6 for c in r.citations), r.citations


def test_saves_are_measured_within_each_launch(tmp_path):
    lightning_project(tmp_path)
    r = probe("run.checkpoint_gaps", tmp_path, min_s=60, max_s=300)
    assert r.verdict == Verdict.YES and r.measured["largest_gap_s"] == 120, (r.summary, r.measured)


def test_the_status_file_of_a_launch_is_a_progress_file(tmp_path):
    lightning_project(tmp_path)
    r = probe("run.progress_fresh", tmp_path, max_s=60)
    assert r.verdict == Verdict.PARTIAL and "status.json" in r.summary, r.summary
