"""NumPy `.npz` archives as checkpoints: pure-NumPy trainers (and JAX ones that `np.savez` their
parameters) save `ckpt_0001200.npz`, `step_500.npz`, `params_epoch3.npz`. An `.npz` is as often a
dataset (`mnist.npz`, `data/train_000.npz`), so it counts only when its name says checkpoint
(a checkpoint word, a step or epoch number) or its folder does (`checkpoints/000500.npz`), and
never in a data folder. Read, it is told by how it is written: a zip of `.npy` arrays, whose
`step` array (when there is one) gives the step; it is never loaded.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pytest

import auditor.probes  # noqa: F401  (registers the probes)
from auditor.ckptnames import is_checkpoint_file
from auditor.config import load_config
from auditor.discovery import discover
from auditor.evidence import Evidence
from auditor.model import PROBES, Verdict
from auditor.resolve import resolve

T0 = 1796330000  # 2026-12-03 UTC


@pytest.mark.parametrize("name, folder, counts", [
    ("ckpt_0028496.npz", "default", True),
    ("step_500.npz", "run1", True),
    ("params_epoch3.npz", "out", True),
    ("snapshot-0007.npz", "exp", True),
    ("000500.npz", "checkpoints", True),
    ("mnist.npz", "", False),
    ("train_000.npz", "shards", False),
    ("features.npz", "out", False),
    ("model_inputs.npz", "data", False),  # a data folder's archive is data, whatever its name
    ("ckpt_0001.npz", "datasets", False),
])
def test_an_npz_is_a_checkpoint_when_its_name_or_folder_says_so(name, folder, counts):
    assert is_checkpoint_file(name, folder) is counts


def _npz(step: int) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, step=np.int64(step), param_w=np.zeros((2, 2)), vel_w=np.zeros((2, 2)))
    return buf.getvalue()


def _stamp(s: float) -> str:
    import time
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(T0 + s)) + ",000"


def project(root: Path) -> Path:
    """A NumPy trainer: snapshots every 120 s in runs/default/, its log at the project root (basicConfig
    writes into the working directory), killed and restarted with --resume."""
    (root / "train.py").write_text("import numpy as np\nfor step in range(10):\n    w -= lr * grad\n"
                                   "    np.savez(path, w=w)\n")
    lines = [f"{_stamp(0)} INFO train: start pid 100 argv train.py --config c.ini"]
    saves = {130: 1000, 250: 2000}
    for s in range(5, 300, 5):
        lines.append(f"{_stamp(s)} INFO train: step {s * 10} loss 0.{s:03d}")
        if s in saves:
            lines.append(f"{_stamp(s)} INFO train: snapshot step {saves[s]} -> runs/default/ckpt_{saves[s]:07d}.npz")
    lines.append(f"{_stamp(320)} INFO train: start pid 200 argv train.py --config c.ini --resume")
    lines.append(f"{_stamp(321)} INFO train: resumed from runs/default/ckpt_0002000.npz at step 2000")
    for s in range(325, 600, 5):
        lines.append(f"{_stamp(s)} INFO train: step {2000 + (s - 320) * 10} loss 0.{s:03d}")
        if s == 445:
            lines.append(f"{_stamp(s)} INFO train: snapshot step 3250 -> runs/default/ckpt_0003250.npz")
    (root / "train.log").write_text("\n".join(lines) + "\n")
    run = root / "runs" / "default"
    run.mkdir(parents=True)
    for step, at in ((1000, 130), (2000, 250), (3250, 445)):
        (run / f"ckpt_{step:07d}.npz").write_bytes(_npz(step))
        os.utime(run / f"ckpt_{step:07d}.npz", (T0 + at, T0 + at))
    (root / "data").mkdir()
    (root / "data" / "digits.npz").write_bytes(_npz(0))
    return root


def probe(name: str, root: Path):
    config = resolve(load_config(root))
    return PROBES[name](Evidence(config, root / config.discovery.run_dirs[0].path))


def test_a_folder_of_npz_snapshots_is_the_run_directory_and_its_log_the_one_beside_it(tmp_path):
    found = discover(project(tmp_path))
    assert [r.path for r in found.run_dirs] == ["runs/default"]
    assert found.run_dirs[0].logs == ("train.log",)


def test_npz_snapshots_are_read_as_numpy_archives_with_their_step(tmp_path):
    config = resolve(load_config(project(tmp_path)))
    run = Evidence(config, tmp_path / "runs" / "default").run
    by_name = {c.file: c for c in run.checkpoints}
    assert by_name["ckpt_0002000.npz"].status == "readable" and by_name["ckpt_0002000.npz"].step == 2000
    assert "NumPy" in by_name["ckpt_0002000.npz"].note


def test_an_npz_that_is_not_a_zip_of_arrays_is_unreadable(tmp_path):
    project(tmp_path)
    (tmp_path / "runs" / "default" / "ckpt_0002000.npz").write_bytes(b"not a zip at all")
    config = resolve(load_config(tmp_path))
    run = Evidence(config, tmp_path / "runs" / "default").run
    assert {c.file: c for c in run.checkpoints}["ckpt_0002000.npz"].status == "unreadable"


@pytest.mark.parametrize("rule, verdict", [
    ("run.periodic_checkpoints", Verdict.YES),
    ("run.checkpoint_gaps", Verdict.YES),
    ("run.batch_logging", Verdict.YES),
    ("run.resumed", Verdict.YES),
    ("run.auto_resumed", Verdict.NO),  # the restart's recorded command line asked for it (--resume)
])
def test_a_numpy_run_is_judged_from_its_snapshots_and_root_log(tmp_path, rule, verdict):
    r = probe(rule, project(tmp_path))
    assert r.verdict == verdict, r.summary


def test_a_project_whose_only_npz_is_data_has_no_run_directory(tmp_path):
    (tmp_path / "train.py").write_text("import numpy as np\n")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "digits.npz").write_bytes(_npz(0))
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "embeddings.npz").write_bytes(_npz(0))
    assert discover(tmp_path).run_dirs == ()


def test_a_final_snapshot_named_on_the_end_line_is_the_end_save_not_a_periodic_one(tmp_path):
    root = project(tmp_path)
    with (root / "train.log").open("a") as log:
        log.write(f"{_stamp(600)} INFO train: finished at step 5000, final snapshot runs/default/ckpt_0005000.npz\n")
    (root / "runs" / "default" / "ckpt_0005000.npz").write_bytes(_npz(5000))
    config = resolve(load_config(root))
    run = Evidence(config, root / "runs" / "default").run
    assert {c.file: c.kind for c in run.checkpoints}["ckpt_0005000.npz"] == "final"
    assert [s.kind for s in run.log.saves][-1] == "final"
