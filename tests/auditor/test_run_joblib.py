"""Pickled snapshots of non-torch trainers as checkpoints: scikit-learn `partial_fit` loops (and
XGBoost / LightGBM wrappers) persist the fitted estimator with `joblib.dump` (`model.joblib`,
`snapshots/chunk_000120.joblib`), NVIDIA's GAN trainers pickle `network-snapshot-000200.pkl`.
A `.joblib` / `.pkl` is as often data (`features.joblib`, nanoGPT's `data/x/meta.pkl`), so it
counts like an `.npz`: when its name says checkpoint (a checkpoint, model, snapshot or weights
word, a step, iteration or epoch number) or its folder does (`snapshots/`, `checkpoints/`), never
in a data folder. A `snapshots/` folder, like `checkpoints/`, belongs to the run above it.

Read, it is never unpickled: it is told intact by its structure (a pickle stream from its PROTO
opcode to its STOP, joblib's arrays written inline between them; a compressed dump whose stream
ends). Its name's chunk number (`chunk_000120`, a streaming trainer's unit) is its step.
"""

from __future__ import annotations

import os
import pickle
import zlib
from pathlib import Path

import pytest

import auditor.probes  # noqa: F401  (registers the probes)
from auditor.ckptnames import is_checkpoint_file
from auditor.config import load_config
from auditor.discovery import discover
from auditor.evidence import Evidence
from auditor.evidence.checkpoints import kind_of
from auditor.model import PROBES, Verdict
from auditor.resolve import resolve

T0 = 1796330000  # 2026-12-03 UTC


@pytest.mark.parametrize("name, folder, counts", [
    ("chunk_000120.joblib", "snapshots", True),
    ("model.joblib", "models", True),
    ("model.joblib", "out", True),
    ("step_500.joblib", "run1", True),
    ("network-snapshot-000200.pkl", "00003-stylegan2", True),
    ("ckpt_epoch3.pickle", "exp", True),
    ("features.joblib", "out", False),
    ("chunk_000120.joblib", "shards", False),  # a chunk number alone is as often a data shard
    ("meta.pkl", "chars", False),
    ("random_states_0.pkl", "exp", False),  # Accelerate's RNG states: part of a checkpoint, not one
    ("model.joblib", "data", False),  # a data folder's pickle is data, whatever its name
    ("snapshot_0001.pkl", "cache", False),
])
def test_a_pickle_is_a_checkpoint_when_its_name_or_folder_says_so(name, folder, counts):
    assert is_checkpoint_file(name, folder) is counts


def test_a_chunk_numbered_snapshot_is_a_periodic_candidate_with_its_chunk_as_step():
    assert kind_of("chunk_000120.joblib") == ("periodic", None, 120)
    assert kind_of("model.joblib")[0] == "other"


def _joblib(chunk: int) -> bytes:
    """A joblib.dump of {"model": estimator, "position": {...}}: a protocol-4 pickle whose numpy arrays
    joblib writes inline, raw, right after each NumpyArrayWrapper (so no plain opcode walk gets through)."""
    head = (b"\x80\x04\x95\x00\x01\x00\x00\x00\x00\x00\x00}\x94(\x8c\x05model\x94\x8c\x13joblib.numpy_pickle\x94"
            b"\x8c\x11NumpyArrayWrapper\x94\x93\x94)\x81\x94}\x94(\x8c\x05shape\x94K\x04\x85\x94ub")
    raw = b"\x00\x07" + bytes(range(200, 232))  # padding, then the array's bytes
    tail = pickle.dumps({"next_chunk": chunk}, protocol=4)[2:]  # the rest of the stream, to its STOP
    return head + raw + b"\x8c\x08position\x94" + tail[9:-1] + b"u."


def project(root: Path, compressed: bool = False) -> Path:
    """A scikit-learn streaming trainer: a snapshot every 120 chunks (72 s) in models/snapshots/, the
    final model in models/, its log in logs/ at the project root, killed and restarted with --resume."""
    (root / "train.py").write_text("import joblib\nfor chunk in stream:\n    clf.partial_fit(X, y)\n"
                                   "    if chunk % 120 == 0:\n        joblib.dump(state, path)\n")

    def stamp(s: float) -> str:
        import time
        return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(T0 + s)) + ",000 INFO train: "

    lines = [stamp(0) + "start argv=[]"]
    saves = {72: 120, 144: 240, 288: 360, 360: 480}
    for s in range(6, 170, 6):
        lines.append(stamp(s) + f"chunk {s * 10 // 6}/480 rows {s * 100} loss 0.{s:03d}")
        if s in saves:
            lines.append(stamp(s) + f"snapshot models/snapshots/chunk_{saves[s]:06d}.joblib")
    lines.append(stamp(180) + "start argv=['--resume']")
    lines.append(stamp(181) + "resumed from models/snapshots/chunk_000240.joblib: next chunk 240")
    for s in range(186, 366, 6):
        lines.append(stamp(s) + f"chunk {240 + (s - 180) * 10 // 6}/480 rows {s * 100} loss 0.{s:03d}")
        if s in saves:
            lines.append(stamp(s) + f"snapshot models/snapshots/chunk_{saves[s]:06d}.joblib")
    lines.append(stamp(366) + "finished: model in models/model.joblib")
    (root / "logs").mkdir()
    (root / "logs" / "train.log").write_text("\n".join(lines) + "\n")
    snaps = root / "models" / "snapshots"
    snaps.mkdir(parents=True)
    for at, chunk in saves.items():
        data = _joblib(chunk)
        (snaps / f"chunk_{chunk:06d}.joblib").write_bytes(zlib.compress(data) if compressed else data)
        os.utime(snaps / f"chunk_{chunk:06d}.joblib", (T0 + at, T0 + at))
    (root / "models" / "model.joblib").write_bytes(_joblib(480))
    os.utime(root / "models" / "model.joblib", (T0 + 366, T0 + 366))
    (root / "data").mkdir()
    (root / "data" / "features.joblib").write_bytes(_joblib(0))
    return root


def _run(root: Path):
    return Evidence(resolve(load_config(root)), root / "models").run


def test_a_models_folder_of_joblib_snapshots_is_the_run_directory_with_the_log_that_names_them(tmp_path):
    found = discover(project(tmp_path))
    assert [r.path for r in found.run_dirs] == ["models"]
    assert found.run_dirs[0].logs == ("logs/train.log",)


@pytest.mark.parametrize("compressed", [False, True])
def test_joblib_snapshots_are_told_intact_by_structure_never_unpickled(tmp_path, compressed):
    by_name = {c.file: c for c in _run(project(tmp_path, compressed)).checkpoints}
    snap = by_name["snapshots/chunk_000240.joblib"]
    assert (snap.kind, snap.status, snap.step) == ("periodic", "readable", 240), snap
    assert "not loaded" in snap.note
    assert by_name["model.joblib"].kind in ("other", "final") and by_name["model.joblib"].status == "readable"


@pytest.mark.parametrize("torn", [
    lambda data: data[:-7],  # cut inside the stream: no STOP at its end
    lambda data: b"\x80\x04" + b"\x00" * 40,  # a pickle header and zeros (space allocated, never written)
    lambda data: zlib.compress(data)[:-9],  # a compressed stream that does not end
    lambda data: b"not a pickle at all",
])
def test_a_torn_joblib_snapshot_is_not_usable(tmp_path, torn):
    root = project(tmp_path)
    path = root / "models" / "snapshots" / "chunk_000240.joblib"
    path.write_bytes(torn(path.read_bytes()))
    os.utime(path, (T0 + 144, T0 + 144))
    snap = {c.file: c for c in _run(root).checkpoints}["snapshots/chunk_000240.joblib"]
    assert not snap.usable, snap


@pytest.mark.parametrize("rule, verdict", [
    ("run.periodic_checkpoints", Verdict.YES),
    ("run.checkpoint_gaps", Verdict.YES),  # 72 s apart within each session
    ("run.batch_logging", Verdict.YES),
    ("run.resumed", Verdict.YES),
    ("run.auto_resumed", Verdict.NO),  # the restart's recorded argv asked for it (--resume)
])
def test_a_streaming_scikit_learn_run_is_judged_from_its_snapshots_and_log(tmp_path, rule, verdict):
    root = project(tmp_path)
    r = PROBES[rule](Evidence(resolve(load_config(root)), root / "models"))
    assert r.verdict == verdict, r.summary


def test_a_project_whose_only_pickles_are_data_has_no_run_directory(tmp_path):
    (tmp_path / "train.py").write_text("import joblib\n")
    (tmp_path / "data" / "chars").mkdir(parents=True)
    (tmp_path / "data" / "chars" / "meta.pkl").write_bytes(pickle.dumps({"vocab_size": 65}))
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "model.joblib").write_bytes(_joblib(0))
    (tmp_path / "features.joblib").write_bytes(_joblib(0))
    assert discover(tmp_path).run_dirs == ()


@pytest.mark.parametrize("line, command, option", [
    ("2026-12-03 21:44:18,812 INFO skstream: start argv=['--resume']", "--resume", "--resume"),
    ("INFO start argv=['train.py', '--resume', 'models/snapshots/chunk_000240.joblib']",
     "train.py --resume models/snapshots/chunk_000240.joblib", "--resume models/snapshots/chunk_000240.joblib"),
    ('INFO argv: ["train.py", "--lr", "0.1"]', "train.py --lr 0.1", ""),
    ("INFO start argv=[]", "(no arguments)", ""),  # `log.info("argv=%s", sys.argv[1:])` of a plain start
])
def test_a_command_line_logged_as_a_python_list_is_read_item_by_item(line, command, option):
    from auditor.evidence.runcommands import command_of, resume_option

    assert command_of(line) == command
    assert resume_option(command_of(line)) == option


@pytest.mark.parametrize("line, per_step", [
    ("2026-12-03 21:41:36,177 INFO skstream: chunk 10/480 rows 5120 loss 0.5208 holdout_acc 0.9565", True),
    ("chunk=120 loss=0.04", True),
    ("eval chunk 10 loss 0.3", False),
    ("snapshot models/snapshots/chunk_000120.joblib", False),
])
def test_a_streaming_trainers_chunk_line_with_a_loss_is_a_per_step_line(line, per_step):
    from auditor.evidence.steplines import is_batch_line

    assert is_batch_line(line) is per_step


def test_a_progress_file_at_the_project_root_is_the_runs_when_its_folder_keeps_none(tmp_path):
    """The trainer rewrites metrics.json (chunk, status, updated_at) in its working directory, beside
    models/; nothing records how often, so it is there but its cadence is not measured."""
    root = project(tmp_path)
    (root / "metrics.json").write_text('{"status": "finished", "chunk": 480, "rows_seen": 245760, '
                                       f'"updated_at": {T0 + 366}}}\n')
    r = PROBES["run.progress_fresh"](Evidence(resolve(load_config(root)), root / "models"))
    assert r.verdict == Verdict.PARTIAL and r.citations[0].source == "metrics.json", r.summary
