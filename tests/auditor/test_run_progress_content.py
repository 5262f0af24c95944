"""A JSON file named like a progress file is one only when it holds progress: a step, epoch or
other counter, a state, a loss or metric, or the time it was updated. A `run_state.json` written
once with the tracker's run and experiment ids and its creation time (MLflow, W&B resume ids)
records no progress: it is no progress file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import auditor.probes  # noqa: F401  (registers the probes)
from auditor.config import ProjectConfig
from auditor.evidence import Evidence
from auditor.model import PROBES, Verdict

PICKLE = b"\x80\x04}\x94."


def _probe(root: Path, name: str, data: dict):
    (root / "checkpoints").mkdir()
    (root / "checkpoints/step_000100.pt").write_bytes(PICKLE)
    (root / "checkpoints" / name).write_text(json.dumps(data, indent=2))
    return PROBES["run.progress_fresh"](Evidence(ProjectConfig(root=root), root / "checkpoints"), max_s=60)


@pytest.mark.parametrize("name, data", [
    ("run_state.json", {"run_id": "01d0d267cb6a4d71b292f3c1510a44b0", "experiment_id": "665863362095883318",
                        "created": "2026-12-03T23:50:51"}),
    ("state.json", {"wandb_run_id": "3kq9x1ab", "project": "demo"}),
])
def test_a_json_file_of_identifiers_only_is_no_progress_file(tmp_path, name, data):
    r = _probe(tmp_path, name, data)
    assert r.verdict == Verdict.NO, r.summary


@pytest.mark.parametrize("name, data", [
    ("run_state.json", {"run_id": "01d0", "step": 300}),
    ("status.json", {"status": "running"}),
    ("progress.json", {"train": {"loss": 0.25}}),
    ("state.json", {"updated_at": "2026-12-03T23:50:51"}),
])
def test_a_json_file_holding_progress_is_a_progress_file(tmp_path, name, data):
    r = _probe(tmp_path, name, data)
    assert r.verdict != Verdict.NO, r.summary
