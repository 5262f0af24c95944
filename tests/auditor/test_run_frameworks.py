"""Runs that other frameworks leave, on small runs written here (not the corpus): Keras's
ModelCheckpoint files (`.keras`, `.weights.h5`, `.h5`) and BackupAndRestore, torch.distributed.checkpoint
folders (`.metadata` and `*.distcp` shards), a console log whose lines carry clock times only,
and a watchdog's JSON file rewritten in place (one record, and a progress file whatever its name)."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import pytest

import auditor.probes  # noqa: F401  (registers the probes)
from auditor.config import ProjectConfig, load_config
from auditor.discovery import discover
from auditor.evidence import Evidence
from auditor.evidence import run as run_ev
from auditor.evidence import runlog
from auditor.model import PROBES, Verdict
from auditor.resolve import resolve

T0 = 1767261600  # 2026-01-01 10:00:00 UTC
HDF5 = b"\x89HDF\r\n\x1a\n" + b"\0" * 32


def keras_archive() -> bytes:
    from io import BytesIO

    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("metadata.json", json.dumps({"keras_version": "3.5.0", "date_saved": "2026-01-01@10:01:20"}))
        z.writestr("config.json", "{}")
        z.writestr("model.weights.h5", HDF5)
    return buffer.getvalue()


def write(root: Path, files: dict[str, str | bytes], mtimes: dict[str, float] | None = None) -> Path:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    for rel, t in (mtimes or {}).items():
        os.utime(root / rel, (t, t))
    return root


def probe(name: str, root: Path, run: Path, discovered: bool = False, **params):
    config = resolve(load_config(root)) if discovered else ProjectConfig(root=root)
    return PROBES[name](Evidence(config, run), **params)


# --------------------------------------------------------------------------- discovery


def test_a_folder_of_keras_checkpoints_is_a_run_with_its_log(tmp_path):
    root = write(tmp_path / "p", {"train.py": "model.fit(x, y)\n", "artifacts/r1/train.log": "Epoch 1/3\n",
                                  "artifacts/r1/checkpoints/ckpt-e01.keras": keras_archive(),
                                  "artifacts/r1/checkpoints/ckpt-e02.keras": keras_archive(),
                                  "artifacts/r1/final.weights.h5": HDF5})
    found = discover(root)
    assert [(r.path, r.checkpoints) for r in found.run_dirs] == [("artifacts/r1", 3)]
    assert found.run_dir.logs == ("artifacts/r1/train.log",)


def test_an_hdf5_data_file_is_not_a_checkpoint_but_a_model_h5_is(tmp_path):
    root = write(tmp_path / "p", {"train.py": "x\n", "data/train.h5": HDF5, "data/test.h5": HDF5,
                                  "out/model-03.h5": HDF5})
    assert [r.path for r in discover(root).run_dirs] == ["out"]


def test_torch_distributed_checkpoint_folders_are_one_checkpoint_each_whatever_their_name(tmp_path):
    files = {"train.py": "x\n", "exp/tiny/train.log": "2026-01-01 10:00:00 step 10/20 loss 0.5\n"}
    for name in ("step_000100", "step_000200", "latest"):
        files[f"exp/tiny/ckpt/{name}/.metadata"] = "m"
        files[f"exp/tiny/ckpt/{name}/__0_0.distcp"] = "x"
        files[f"exp/tiny/ckpt/{name}/__1_0.distcp"] = "x"
    found = discover(write(tmp_path / "p", files))
    assert [(r.path, r.checkpoints) for r in found.run_dirs] == [("exp/tiny", 3)]


# --------------------------------------------------------------------------- Keras runs

KERAS_LOG = """\
[2026-01-01 10:00:00] train.py pid=101 argv: --run-dir out
Epoch 1/6
20/20 - 16s - 280ms/step - loss: 0.61

Epoch 2: saving model to out/checkpoints/ckpt-e02-b0010.keras

Epoch 2: finished saving model to out/checkpoints/ckpt-e02-b0010.keras
20/20 - 16s - 280ms/step - loss: 0.58
Epoch 3/6
20/20 - 16s - 280ms/step - loss: 0.55

Epoch 4: saving model to out/checkpoints/ckpt-e04-b0010.keras

Epoch 4: finished saving model to out/checkpoints/ckpt-e04-b0010.keras
Epoch 5/6
[2026-01-01 10:04:00] train.py pid=202 argv: --run-dir out
[2026-01-01 10:04:00] found a backup in out/backup ({"epoch": 4}); fit() will continue from it
Epoch 5/6
20/20 - 16s - 280ms/step - loss: 0.50

Epoch 6: saving model to out/checkpoints/ckpt-e06-b0010.keras

Epoch 6: finished saving model to out/checkpoints/ckpt-e06-b0010.keras
Epoch 7/8
20/20 - 16s - 280ms/step - loss: 0.48

Epoch 8: saving model to out/checkpoints/ckpt-e08-b0010.keras

Epoch 8: finished saving model to out/checkpoints/ckpt-e08-b0010.keras
[2026-01-01 10:07:00] done
"""


def _keras_run(root: Path, log: str = KERAS_LOG) -> Path:
    saves = {"out/checkpoints/ckpt-e02-b0010.keras": T0 + 80, "out/checkpoints/ckpt-e04-b0010.keras": T0 + 160,
             "out/checkpoints/ckpt-e06-b0010.keras": T0 + 330, "out/checkpoints/ckpt-e08-b0010.keras": T0 + 410}
    files: dict[str, str | bytes] = {"out/train.log": log, "out/final.keras": keras_archive(),
                                     **{rel: keras_archive() for rel in saves}}
    write(root, files, {**saves, "out/final.keras": T0 + 420})
    return root / "out"


def test_keras_checkpoint_files_named_alike_are_periodic_and_readable(tmp_path):
    run = run_ev.collect(ProjectConfig(root=tmp_path), _keras_run(tmp_path))
    kinds = {c.file: (c.kind, c.status) for c in run.checkpoints}
    assert kinds["final.keras"] == ("final", "readable")
    assert {kinds[f"checkpoints/ckpt-e0{n}-b0010.keras"] for n in (2, 4, 6, 8)} == {("periodic", "readable")}
    r = probe("run.periodic_checkpoints", tmp_path, tmp_path / "out")
    assert r.verdict == Verdict.YES and r.measured["periodic_saves_recorded"] == 4, r.summary


def test_a_save_logged_twice_is_one_save(tmp_path):
    run = run_ev.collect(ProjectConfig(root=tmp_path), _keras_run(tmp_path))
    assert [s.line for s in run.log.saves] == [5, 12, 21, 27]


def test_saves_logged_without_times_are_timed_by_their_files(tmp_path):
    r = probe("run.checkpoint_gaps", tmp_path, _keras_run(tmp_path))
    assert r.verdict == Verdict.YES, r.summary
    assert r.measured["largest_gap_s"] == 80 and r.measured["first_save_delay_s"] == 90
    assert "mtime" in r.citations[0].detail


def test_a_restart_that_says_fit_will_continue_from_a_backup_resumed_by_itself(tmp_path):
    run = _keras_run(tmp_path)
    assert probe("run.resumed", tmp_path, run).verdict == Verdict.YES
    r = probe("run.auto_resumed", tmp_path, run)
    assert r.verdict == Verdict.YES and r.citations[0].location() == "train.log:16", r.summary


def test_a_line_that_will_not_continue_is_no_resume(tmp_path):
    run = _keras_run(tmp_path, KERAS_LOG.replace("fit() will continue from it", "fit() will not continue from it"))
    assert probe("run.resumed", tmp_path, run).verdict == Verdict.NO


def test_a_file_named_keras_that_is_no_keras_archive_is_unreadable(tmp_path):
    write(tmp_path, {"out/ckpt-e01.keras": b"PK\x05\x06" + b"\0" * 18, "out/ckpt-e02.h5": b"not hdf5 at all"})
    run = run_ev.collect(ProjectConfig(root=tmp_path), tmp_path / "out")
    assert {c.file: c.status for c in run.checkpoints} == {"ckpt-e01.keras": "unreadable", "ckpt-e02.h5": "unreadable"}


# --------------------------------------------------------------------------- DCP runs

DCP_LOG = """\
2026-01-01 10:00:00,000 INFO trainer: pid 17: python -m trainer --config configs/tiny.toml --run-dir exp
2026-01-01 10:00:05,000 INFO trainer: step 10/40 loss 0.5
2026-01-01 10:01:10,000 INFO trainer: checkpoint exp/checkpoints/step_000010
2026-01-01 10:01:15,000 INFO trainer: step 20/40 loss 0.4
2026-01-01 10:02:20,000 INFO trainer: checkpoint exp/checkpoints/step_000020
2026-01-01 10:02:30,000 INFO trainer: session slot used up at step 20; rerun the same command to continue
2026-01-01 10:04:00,000 INFO trainer: pid 18: python -m trainer --config configs/tiny.toml --run-dir exp
2026-01-01 10:04:05,000 INFO trainer: restored exp/checkpoints/step_000020 (step 20)
2026-01-01 10:04:10,000 INFO trainer: step 30/40 loss 0.3
"""


def _dcp_run(root: Path, finished: tuple[str, ...] = ("step_000010", "step_000020")) -> Path:
    files: dict[str, str | bytes] = {"exp/train.log": DCP_LOG}
    for name in ("step_000010", "step_000020", "step_000030"):
        files[f"exp/checkpoints/{name}/__0_0.distcp"] = b"shard"
        if name in finished:
            files[f"exp/checkpoints/{name}/.metadata"] = b"meta"
    write(root, files)
    return root / "exp"


def test_dcp_folders_are_checkpoints_with_their_step_and_one_without_metadata_did_not_finish(tmp_path):
    run = run_ev.collect(ProjectConfig(root=tmp_path), _dcp_run(tmp_path))
    found = {c.file: (c.kind, c.status, c.step) for c in run.checkpoints}
    assert found["checkpoints/step_000010"] == ("periodic", "readable", 10)
    assert found["checkpoints/step_000020"] == ("periodic", "readable", 20)
    assert found["checkpoints/step_000030"][1] in ("incomplete", "in_progress")
    assert ".metadata" in next(c.note for c in run.checkpoints if c.file.endswith("30"))


def test_the_save_that_ends_a_sessions_time_slot_is_not_a_periodic_gap(tmp_path):
    log = DCP_LOG.replace("2026-01-01 10:02:30,000 INFO trainer: session slot",
                          "2026-01-01 10:02:25,000 INFO trainer: checkpoint exp/checkpoints/step_000030 (end of session "
                          "slot)\n2026-01-01 10:02:30,000 INFO trainer: session slot")
    run = _dcp_run(tmp_path, finished=("step_000010", "step_000020", "step_000030"))
    write(tmp_path, {"exp/train.log": log})
    assert [s.kind for s in run_ev.collect(ProjectConfig(root=tmp_path), run).log.saves] == [
        "periodic", "periodic", "final"]
    r = probe("run.checkpoint_gaps", tmp_path, run)
    assert r.verdict == Verdict.YES and r.measured["smallest_gap_s"] == 70, r.summary


@pytest.mark.parametrize("line, target", [
    ("2026-01-01 10:00:00 INFO trainer: checkpoint exp/checkpoints/step_000100", "exp/checkpoints/step_000100"),
    ("[10:00:00] ckpt: out/ckpt_0040.pt (timer)", "out/ckpt_0040.pt"),
    ("2026-01-01 10:00:00 trainer INFO: Resume from a checkpoint: out/ckpt/training_checkpoint_400.pt", None),
    ("2026-01-01 10:00:00 INFO: no complete checkpoint in exp/checkpoints; starting from step 0", None),
    ("2026-01-01 10:00:00 INFO: checkpoint every 100 steps", None),
])
def test_a_message_that_is_only_the_word_checkpoint_and_a_numbered_path_is_a_save(line, target):
    saves = runlog._saves([runlog.LogLine("train.log", 1, None, line)], "exp")
    assert [s.target for s in saves] == ([target] if target else [])


def test_a_command_run_as_a_module_after_the_pid_is_the_sessions_command(tmp_path):
    run = _dcp_run(tmp_path)
    sessions = run_ev.collect(ProjectConfig(root=tmp_path), run).log.sessions
    assert [s.command for s in sessions] == ["python -m trainer --config configs/tiny.toml --run-dir exp"] * 2
    assert probe("run.resumed", tmp_path, run).verdict == Verdict.YES
    assert probe("run.auto_resumed", tmp_path, run).verdict == Verdict.YES


# --------------------------------------------------------------------------- a console log of clock times

CLOCK_LOG = "".join([
    "Seed set to 1\n[10:00:00] pid=1 cmd: python train.py --out out\n",
    *(f"[10:00:{s:02d}] step {s} | loss 1.0\n" for s in range(1, 30)),
    "[10:01:30] saved out/ckpt/step-000090.ckpt (timer)\n",
    "[10:03:00] saved out/ckpt/step-000180.ckpt (timer)\n",
    "[10:03:10] saved out/ckpt/step-000190.ckpt (end of training)\n",
])


def test_a_log_of_clock_times_only_is_dated_by_its_mtime_and_its_saves_timed(tmp_path):
    names = ("step-000090", "step-000180", "step-000190")
    write(tmp_path, {"out/console.log": CLOCK_LOG, **{f"out/ckpt/{n}.ckpt": b"\x80\x04}\x94." for n in names}},
          {"out/console.log": T0 + 190, **{f"out/ckpt/{n}.ckpt": T0 for n in names}})
    run = run_ev.collect(ProjectConfig(root=tmp_path), tmp_path / "out")
    assert run.log.sessions[0].start == T0
    r = probe("run.checkpoint_gaps", tmp_path, tmp_path / "out")
    assert r.verdict == Verdict.YES and r.measured["largest_gap_s"] == 90, r.summary
    assert r.measured["first_save_delay_s"] == 90


def test_a_clock_time_past_midnight_is_on_the_next_day(tmp_path):
    log = "[23:59:50] start training\n[23:59:55] step 1 loss 1\n[00:00:05] step 2 loss 1\n"
    write(tmp_path, {"out/a.ckpt": b"x", "out/train.log": log}, {"out/train.log": T0 + 86400 - 36000 + 10})
    lines = run_ev.collect(ProjectConfig(root=tmp_path), tmp_path / "out").log.lines
    assert [x.time for x in lines] == [T0 + 50390, T0 + 50395, T0 + 50405]


# --------------------------------------------------------------------------- a watchdog's file

ALIVE = json.dumps({"trainer_pid": 20, "watchdog_pid": 21, "step": 1390, "beat": 10,
                    "watchdog_started": "2026-01-01T10:00:00", "time": "2026-01-01T10:02:15"}, indent=1)


def test_a_heartbeat_json_rewritten_in_place_is_one_record_not_one_per_time_in_it(tmp_path):
    write(tmp_path, {"out/ckpt_10.pt": b"\x80\x04}\x94.", "out/alive.json": ALIVE})
    r = probe("run.heartbeat", tmp_path, tmp_path / "out")
    assert r.verdict == Verdict.PARTIAL and "single" in r.summary, r.summary
    assert r.citations[0].location() == "alive.json:7"


def test_a_file_rewritten_with_the_step_and_the_time_is_a_progress_file_whatever_its_name(tmp_path):
    write(tmp_path, {"out/ckpt_10.pt": b"\x80\x04}\x94.", "out/alive.json": ALIVE,
                     "out/config.json": json.dumps({"epochs": 3, "lr": 0.1})})
    r = probe("run.progress_fresh", tmp_path, tmp_path / "out")
    assert r.verdict == Verdict.PARTIAL and r.citations[0].location() == "alive.json:7", r.summary


def test_a_json_without_a_step_or_a_time_is_no_progress_file(tmp_path):
    write(tmp_path, {"out/ckpt_10.pt": b"\x80\x04}\x94.", "out/config.json": json.dumps({"epochs": 3}),
                     "out/summary.json": json.dumps({"step": 3})})
    assert probe("run.progress_fresh", tmp_path, tmp_path / "out").verdict == Verdict.NO


def test_a_progress_file_refreshed_slower_than_the_bound_is_partial(tmp_path):
    log = "".join(f"2026-01-01 10:{2 * m:02d}:00,000 - Epoch {m} finished (progress.json updated)\n"
                  for m in range(4))
    write(tmp_path, {"out/ckpt_10.pt": b"\x80\x04}\x94.", "out/train.log": log,
                     "out/progress.json": json.dumps({"epoch": 3, "last_update": "2026-01-01 10:06:00"})})
    r = probe("run.progress_fresh", tmp_path, tmp_path / "out")
    assert r.verdict == Verdict.PARTIAL and r.measured["cadence_s"] == 120, r.summary
    assert "120s" in r.summary and "bound 60s" in r.summary


def test_a_step_named_file_the_log_calls_the_end_save_is_not_counted_periodic(tmp_path):
    names = ("step-000090", "step-000180", "step-000190")
    write(tmp_path, {"out/console.log": CLOCK_LOG, **{f"out/ckpt/{n}.ckpt": b"\x80\x04}\x94." for n in names}},
          {"out/console.log": T0 + 190})
    run = run_ev.collect(ProjectConfig(root=tmp_path), tmp_path / "out")
    assert {c.file: c.kind for c in run.checkpoints} == {
        "ckpt/step-000090.ckpt": "periodic", "ckpt/step-000180.ckpt": "periodic", "ckpt/step-000190.ckpt": "final"}
    r = probe("run.periodic_checkpoints", tmp_path, tmp_path / "out")
    assert r.verdict == Verdict.YES and "2 periodic checkpoints saved" in r.summary and "plus final" in r.summary


def test_the_same_file_saved_again_with_only_evaluations_between_is_two_saves():
    lines = ["2026-01-01 10:00:00 eval: val loss 0.5", "2026-01-01 10:00:01 saving checkpoint to out/ckpt.pt",
             "2026-01-01 10:01:00 eval: val loss 0.4", "2026-01-01 10:01:01 saving checkpoint to out/ckpt.pt",
             "2026-01-01 10:01:02 saving checkpoint to out/ckpt.pt"]
    saves = runlog._saves([runlog.LogLine("train.log", n, None, t) for n, t in enumerate(lines, 1)], "out")
    assert [s.line for s in saves] == [2, 4, 5]
