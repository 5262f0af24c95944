"""Lightning launches without a console log: a run folder of version_N/ launch folders and no log
(nothing tee'd) still has one session a launch, each with its folder's times, so saves are
measured within a launch, and a launch whose metrics.csv continues the steps of the one before
resumed (explicitly when its recorded config.yaml gave a ckpt_path)."""

from __future__ import annotations

from pathlib import Path

import auditor.probes  # noqa: F401  (registers the probes)
from auditor.model import Verdict
from tests.auditor.test_run_lightning_versions import lightning_project, probe


def _without_log(root: Path, **kw) -> Path:
    lightning_project(root, **kw)
    (root / "train.log").unlink()
    return root


def test_each_launch_is_a_session_without_a_console_log(tmp_path):
    _without_log(tmp_path)
    r = probe("run.checkpoint_gaps", tmp_path, min_s=60, max_s=300)
    assert r.verdict == Verdict.YES and r.measured["largest_gap_s"] == 120, (r.summary, r.measured)


def test_a_launch_whose_steps_continue_from_a_given_ckpt_path_resumed_explicitly(tmp_path):
    _without_log(tmp_path)
    r = probe("run.resumed", tmp_path)
    assert r.verdict == Verdict.YES and r.measured["sessions"] == 2, r.summary
    assert any(c.source == "version_1/metrics.csv" for c in r.citations), r.citations
    r = probe("run.auto_resumed", tmp_path)
    assert r.verdict == Verdict.NO and "ckpt_path" in r.summary, r.summary


def test_a_launch_given_no_ckpt_path_whose_steps_start_again_did_not_resume(tmp_path):
    _without_log(tmp_path, ckpt="null")
    metrics = tmp_path / "lightning_logs/version_1/metrics.csv"
    metrics.write_text("epoch,step,train_loss,val_loss\n0,9,0.5,\n0,19,0.4,\n", encoding="utf-8")
    r = probe("run.resumed", tmp_path)
    assert r.verdict != Verdict.YES, r.summary


def test_a_launch_after_one_without_metrics_resumed_only_from_a_given_ckpt_path(tmp_path):
    _without_log(tmp_path, ckpt="null")
    (tmp_path / "lightning_logs/version_0/metrics.csv").unlink()
    assert probe("run.resumed", tmp_path).verdict != Verdict.YES
