"""Run evidence: checkpoints (ours by manifest, foreign by name and static pickle reading), gaps,
progress, heartbeat, resume events and batch logs, on fixture runs and small tmp trees."""

from __future__ import annotations

import builtins
import hashlib
import json
import os
import pickle
import time
from pathlib import Path

import pytest
import torch

from auditor.config import ProjectConfig, load_config
from auditor.evidence import run as run_ev

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SEED = FIXTURES / "seed_project"
COMPLIANT = FIXTURES / "compliant_run"


class Planted:
    """Pickles as a call of open(marker, "w"): unpickling it creates the marker file."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return (builtins.open, (self.marker, "w"))


def test_seed_run_foreign_checkpoints_read_statically():
    cfg = load_config(SEED)
    ev = run_ev.collect(cfg, SEED / "results" / "magvit_training")
    assert ev.found and ev.layout == "foreign"
    periodic = [c for c in ev.checkpoints if c.kind == "periodic"]
    assert [c.epoch for c in periodic] == list(range(0, 100, 10))
    assert all(c.time_source == "pickle" and c.status == "readable" for c in periodic)
    assert {c.kind for c in ev.checkpoints} == {"periodic", "best", "final"}
    assert ev.gaps.largest_s == pytest.approx(50.0, abs=0.5)
    assert ev.gaps.median_s == pytest.approx(50.0, abs=0.5)
    assert ev.gaps.first_delay_s == pytest.approx(4.9, abs=0.2)
    assert ev.epoch_seconds == pytest.approx(5.0, abs=0.1)
    assert ev.batch_log.lines >= 100 and ev.batch_log.file.endswith("_training.log")
    assert len(ev.heartbeats) >= 15 and ev.heartbeat_gaps.largest_s == pytest.approx(30.0, abs=0.5)
    assert ev.progress.exists and ev.progress.file == "PROGRESS.txt"
    assert ev.progress.cadence_s == pytest.approx(5.0, abs=0.5)
    assert ev.resumes == () and ev.restarts_from_scratch == ()


def test_compliant_run_ours_by_manifest():
    ev = run_ev.collect(ProjectConfig(root=FIXTURES), COMPLIANT, verify=True)
    assert ev.layout == "ours"
    by_file = {c.file: c for c in ev.checkpoints}
    assert by_file["checkpoints/final.pt"].kind == "final" and by_file["checkpoints/best.pt"].kind == "best"
    assert all(c.status == "valid" for c in ev.checkpoints)
    assert len(ev.sessions) == 2
    [resume] = ev.resumes
    assert "step-00000238.pt" in resume.detail and resume.mode == "auto" and resume.line == 32
    assert ev.saves_recorded == 6  # periodic saves in events.jsonl, more than retention kept on disk
    assert ev.gaps.largest_s == pytest.approx(120.0, abs=1) and ev.gaps.first_delay_s == pytest.approx(120, abs=1)
    assert ev.heartbeat_gaps.largest_s == pytest.approx(15.0, abs=0.1)
    assert ev.progress.file == "progress.json" and ev.progress.state == "finished"
    assert ev.progress.cadence_s == pytest.approx(15.0, abs=0.1)
    assert ev.batch_log.file == "train.log"
    assert ev.restarts_from_scratch == ()


def test_manifest_mismatch_and_in_progress_saves(tmp_path):
    ck = tmp_path / "checkpoints"
    ck.mkdir()
    torch.save({"step": 1}, ck / "step-00000001.pt")
    data = (ck / "step-00000001.pt").read_bytes()
    manifest = {"format": "magvit-checkpoint/1", "file": "step-00000001.pt", "kind": "periodic", "step": 1,
                "epoch": 0, "wall_time": 1000.0, "size_bytes": len(data), "sha256": "0" * 64}
    (ck / "step-00000001.json").write_text(json.dumps(manifest))
    torch.save({"step": 2}, ck / "step-00000002.pt")  # no manifest, just written: in progress
    torch.save({"step": 3}, ck / "step-00000003.pt")  # no manifest, old: an unfinished save
    old = time.time() - 3600
    os.utime(ck / "step-00000003.pt", (old, old))
    (ck / ".tmp-abc").write_bytes(b"partial")
    ev = run_ev.collect(ProjectConfig(root=tmp_path), tmp_path)
    status = {c.file: c.status for c in ev.checkpoints}
    assert status["checkpoints/step-00000001.pt"] == "valid"  # size matches; sha256 only with verify
    assert status["checkpoints/step-00000002.pt"] == "in_progress"
    assert status["checkpoints/step-00000003.pt"] == "incomplete"
    assert status["checkpoints/.tmp-abc"] == "in_progress"
    ev = run_ev.collect(ProjectConfig(root=tmp_path), tmp_path, verify=True)
    assert {c.file: c.status for c in ev.checkpoints}["checkpoints/step-00000001.pt"] == "corrupt"


def test_foreign_checkpoint_pickle_is_never_executed(tmp_path):
    marker = tmp_path / "EXECUTED"
    torch.save({"epoch": 7, "timestamp": 1234.5, "payload": Planted(marker)}, tmp_path / "run_epoch_7.pt")
    (tmp_path / "legacy_epoch_9.pt").write_bytes(pickle.dumps(Planted(marker)))
    old = time.time() - 3600  # an old file: not a save in progress
    os.utime(tmp_path / "legacy_epoch_9.pt", (old, old))
    ev = run_ev.collect(ProjectConfig(root=tmp_path, checkpoint_patterns=("*.pt",)), tmp_path)
    assert not marker.exists()
    by_file = {c.file: c for c in ev.checkpoints}
    zipped = by_file["run_epoch_7.pt"]
    assert zipped.status == "unreadable" and "unloadable: references" in zipped.note  # seen, never made
    assert "io.open" in zipped.note
    assert zipped.time == 1234.5 and zipped.epoch == 7
    legacy = by_file["legacy_epoch_9.pt"]
    assert legacy.status == "unreadable" and legacy.epoch == 9 and legacy.time_source == "mtime"
    assert not marker.exists()


def test_restart_from_scratch_is_lost_work(tmp_path):
    events = [{"ts": 0, "event": "run_start", "resume": "auto"},
              {"ts": 100, "event": "checkpoint_saved", "file": "step-00000010.pt", "kind": "periodic", "step": 10},
              {"ts": 200, "event": "run_start", "resume": "never"},
              {"ts": 300, "event": "checkpoint_saved", "file": "step-00000005.pt", "kind": "periodic", "step": 5}]
    (tmp_path / "events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events) + '{"torn')
    ev = run_ev.collect(ProjectConfig(root=tmp_path), tmp_path)
    assert len(ev.restarts_from_scratch) == 1 and ev.restarts_from_scratch[0].line == 3
    assert ev.resumes == ()


def test_foreign_restart_from_epoch_zero(tmp_path):
    for epoch, ts in ((0, 100.0), (10, 150.0), (20, 200.0), (0, 260.0)):
        torch.save({"epoch": epoch, "timestamp": ts}, tmp_path / f"r{int(ts)}_checkpoint_epoch_{epoch}.pt")
    ev = run_ev.collect(ProjectConfig(root=tmp_path, checkpoint_patterns=("*.pt",)), tmp_path)
    assert [r.detail for r in ev.restarts_from_scratch] == ["epoch 0 saved again after epoch 20"]


def test_no_run_dir_is_not_found(tmp_path):
    assert not run_ev.collect(ProjectConfig(root=tmp_path), None).found
    assert not run_ev.collect(ProjectConfig(root=tmp_path), tmp_path / "missing").found


def test_sha_verify_reads_only_when_asked(tmp_path):
    ck = tmp_path / "checkpoints"
    ck.mkdir()
    data = b"x" * 1000
    (ck / "step-00000001.pt").write_bytes(data)
    manifest = {"format": "magvit-checkpoint/1", "file": "step-00000001.pt", "kind": "periodic", "step": 1,
                "epoch": 0, "wall_time": 1.0, "size_bytes": 1000, "sha256": hashlib.sha256(data).hexdigest()}
    (ck / "step-00000001.json").write_text(json.dumps(manifest))
    assert run_ev.collect(ProjectConfig(root=tmp_path), tmp_path, verify=True).checkpoints[0].status == "valid"
    (ck / "step-00000001.pt").write_bytes(b"y" * 1000)
    assert run_ev.collect(ProjectConfig(root=tmp_path), tmp_path).checkpoints[0].status == "valid"
    assert run_ev.collect(ProjectConfig(root=tmp_path), tmp_path, verify=True).checkpoints[0].status == "corrupt"


def test_big_checkpoints_are_only_stat_ed_unless_verifying(tmp_path, monkeypatch):
    """A 3 GB (sparse) checkpoint costs a stat: its bytes are hashed only with verify=True."""
    ck = tmp_path / "checkpoints"
    ck.mkdir()
    size = 3 * 1024**3
    with open(ck / "step-00000001.pt", "wb") as fh:
        fh.truncate(size)
    manifest = {"format": "magvit-checkpoint/1", "file": "step-00000001.pt", "kind": "periodic", "step": 1,
                "epoch": 0, "wall_time": 1.0, "size_bytes": size, "sha256": "0" * 64}
    (ck / "step-00000001.json").write_text(json.dumps(manifest))

    def refuse(path, **_kwargs):
        raise AssertionError(f"{path} was read without verify")

    monkeypatch.setattr(run_ev.safeio, "sha256", refuse)
    [c] = run_ev.collect(ProjectConfig(root=tmp_path), tmp_path).checkpoints
    assert c.status == "valid" and c.size_bytes == size


def test_many_checkpoints(tmp_path):
    ck = tmp_path / "checkpoints"
    ck.mkdir()
    events = [{"ts": 0.0, "event": "run_start", "resume": "auto"}]
    for i in range(1, 1001):
        (ck / f"step-{i:08d}.pt").write_bytes(b"x")
        (ck / f"step-{i:08d}.json").write_text(json.dumps({
            "format": "magvit-checkpoint/1", "file": f"step-{i:08d}.pt", "kind": "periodic", "step": i,
            "epoch": 0, "wall_time": 100.0 * i, "size_bytes": 1, "sha256": "0" * 64}))
        events.append({"ts": 100.0 * i, "event": "checkpoint_saved", "kind": "periodic", "file": f"step-{i:08d}.pt"})
    (tmp_path / "events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
    ev = run_ev.collect(ProjectConfig(root=tmp_path), tmp_path)
    assert len(ev.periodic()) == 1000 and ev.gaps.largest_s == 100.0 and ev.gaps.first_delay_s == 100.0


@pytest.mark.parametrize("missing", ["size_bytes", "sha256"])
def test_manifest_without_its_integrity_fields_is_not_valid(tmp_path, missing):
    """A hand-made manifest that names no size or digest gives nothing to verify the file
    against: it is no evidence of an intact checkpoint, with or without --verify."""
    ck = tmp_path / "checkpoints"
    ck.mkdir()
    torch.save({"step": 4}, ck / "step-00000004.pt")
    data = (ck / "step-00000004.pt").read_bytes()
    manifest = {"format": "magvit-checkpoint/1", "file": "step-00000004.pt", "kind": "periodic", "step": 4,
                "epoch": 0, "wall_time": 1000.0, "size_bytes": len(data),
                "sha256": hashlib.sha256(data).hexdigest()}
    del manifest[missing]
    (ck / "step-00000004.json").write_text(json.dumps(manifest))
    for verify in (False, True):
        [ckpt] = run_ev.collect(ProjectConfig(root=tmp_path), tmp_path, verify=verify).checkpoints
        assert ckpt.status == "corrupt" and missing in ckpt.note, (verify, ckpt)


def test_legacy_and_plain_pickle_checkpoints_are_read_statically(tmp_path):
    """Without torch in the auditor: torch's legacy non-zip format and a plain pickled dict still give
    their epoch and time, read from the pickle's opcodes."""
    torch.save({"epoch": 4, "timestamp": 1.7e9, "w": torch.zeros(2)}, tmp_path / "legacy_epoch_4.pt",
               _use_new_zipfile_serialization=False)
    (tmp_path / "plain_epoch_5.pt").write_bytes(pickle.dumps({"epoch": 5, "timestamp": 1.8e9}))
    old = time.time() - 3600
    for name in ("legacy_epoch_4.pt", "plain_epoch_5.pt"):
        os.utime(tmp_path / name, (old, old))
    ev = run_ev.collect(ProjectConfig(root=tmp_path, checkpoint_patterns=("*.pt",)), tmp_path)
    by_file = {c.file: c for c in ev.checkpoints}
    assert (by_file["legacy_epoch_4.pt"].status, by_file["legacy_epoch_4.pt"].time_source) == ("readable", "pickle")
    assert (by_file["legacy_epoch_4.pt"].epoch, by_file["legacy_epoch_4.pt"].time) == (4, 1.7e9)
    assert (by_file["plain_epoch_5.pt"].status, by_file["plain_epoch_5.pt"].epoch) == ("readable", 5)
