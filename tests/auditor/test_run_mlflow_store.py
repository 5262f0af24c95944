"""MLflow's local file store (the default tracking URI, `./mlruns` in the working directory, or one
set into the run folder): `mlruns/<experiment id>/<run id>/metrics/<key>` holds one
`<timestamp ms> <value> <step>` line each time the metric was logged. A training metric logged far
more often than the run's evaluation or epoch metrics (`train_loss` every step, `val_loss` an
epoch) is per-step monitoring; one logged as often as they are is per-epoch. Only a store run that
belongs to the run folder counts: the store inside it, or a run whose parameters name the folder
or whose artifacts hold its checkpoints."""

from __future__ import annotations

from pathlib import Path

import auditor.probes  # noqa: F401  (registers the probes)
from auditor.config import ProjectConfig
from auditor.evidence import Evidence
from auditor.model import PROBES, Verdict

PICKLE = b"\x80\x04}\x94."
T0_MS = 1796341851153
RUN = "mlruns/665863362095883318/01d0d267cb6a4d71b292f3c1510a44b0"


def _project(root: Path, train_rows: int, val_rows: int, store: str = RUN, ckpt_dir: str = "checkpoints",
             artifact: str = "step_001653.pt") -> Path:
    (root / "checkpoints").mkdir(parents=True)
    (root / "checkpoints/step_001653.pt").write_bytes(PICKLE)
    (root / "train.log").write_text("".join(f"2026-12-03 23:51:{10 + i:02d},000 INFO train: epoch {i} step {500 * i} "
                                            f"val_loss 0.004\n" for i in range(val_rows)))
    metrics = root / store / "metrics"
    metrics.mkdir(parents=True)
    per = max(train_rows // max(val_rows, 1), 1)
    (metrics / "train_loss").write_text("".join(f"{T0_MS + 55 * i} 0.{40 - i % 30} {i + 1}\n"
                                                for i in range(train_rows)))
    (metrics / "val_loss").write_text("".join(f"{T0_MS + 55 * per * (i + 1)} 0.004 {per * (i + 1)}\n"
                                              for i in range(val_rows)))
    (root / store / "params").mkdir()
    (root / store / "params/ckpt_dir").write_text(ckpt_dir)
    (root / store / "artifacts/checkpoints").mkdir(parents=True)
    (root / store / "artifacts/checkpoints" / artifact).write_bytes(PICKLE)
    (root / store / "meta.yaml").write_text("run_id: 01d0d267cb6a4d71b292f3c1510a44b0\nstatus: 3\n")
    return root


def _batch(root: Path, run: str = "checkpoints"):
    return PROBES["run.batch_logging"](Evidence(ProjectConfig(root=root), root / run))


def test_a_training_metric_logged_every_step_in_the_projects_store_is_per_step_monitoring(tmp_path):
    r = _batch(_project(tmp_path, 600, 6))
    assert r.verdict == Verdict.YES, r.summary
    assert r.citations[0].source == f"{RUN}/metrics/train_loss" and r.citations[0].line == 1, r.citations


def test_a_training_metric_logged_once_an_epoch_is_not(tmp_path):
    r = _batch(_project(tmp_path, 6, 6))
    assert r.verdict == Verdict.NO, r.summary


def test_a_store_run_that_names_another_folder_and_holds_none_of_its_checkpoints_is_not_this_runs(tmp_path):
    r = _batch(_project(tmp_path, 600, 6, ckpt_dir="other_run", artifact="model.pt"))
    assert r.verdict == Verdict.NO, r.summary


def test_a_store_inside_the_run_folder_is_the_runs(tmp_path):
    r = _batch(_project(tmp_path, 600, 6, store=f"checkpoints/{RUN}", ckpt_dir="x", artifact="model.pt"))
    assert r.verdict == Verdict.YES, r.summary


def test_a_training_metric_with_nothing_to_compare_it_with_decides_nothing(tmp_path):
    root = _project(tmp_path, 600, 6)
    (root / RUN / "metrics/val_loss").unlink()
    assert _batch(root).verdict == Verdict.NO
