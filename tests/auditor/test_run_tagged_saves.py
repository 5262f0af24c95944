"""A save line that names the checkpoint, a bracketed tag saying why, and the file, with no verb:
`checkpoint [timer] checkpoints/step_001653.pt`, `checkpoint [final] checkpoints/step_006000.pt`.
Each is a save at the line's time; the `[final]` one ends training and is no interval gap, and a
gap is measured within a session, never across a restart."""

from __future__ import annotations

import os

import pytest

import auditor.probes  # noqa: F401  (registers the probes)
from auditor.config import ProjectConfig
from auditor.evidence import Evidence
from auditor.evidence.runlog import _save_kind, _save_target
from auditor.model import PROBES, Verdict

PICKLE = b"\x80\x04}\x94."
T0 = 1796341849.0  # 2026-12-03 23:50:49 UTC


@pytest.mark.parametrize("line, target, kind", [
    ("2026-12-03 23:52:21,158 INFO train: checkpoint [timer] checkpoints/step_001653.pt",
     "checkpoints/step_001653.pt", "periodic"),
    ("2026-12-03 23:57:01,147 INFO train: checkpoint [final] checkpoints/step_006000.pt",
     "checkpoints/step_006000.pt", "final"),
    ("2026-12-03 23:57:01,147 INFO train: snapshot (timer) runs/a/iter_4000.pt", "runs/a/iter_4000.pt", "periodic"),
])
def test_a_tagged_noun_and_path_is_a_save(line, target, kind):
    assert _save_target(line) == target
    assert _save_kind(line, target, "checkpoints") == kind


def _stamp(s: float) -> str:
    import time
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(T0 + s)) + ",000"


def test_timer_saves_90_s_apart_with_a_restart_and_a_final_save_are_in_the_interval(tmp_path):
    rows = [(0, "argv: --ckpt-minutes 1.5"), (2, "new run 01d0d2")]
    rows += [(30 * i, f"epoch {i} step {500 * i} val_loss 0.004") for i in range(1, 7)]
    rows += [(92, "checkpoint [timer] checkpoints/step_001653.pt"), (182, "checkpoint [timer] checkpoints/step_003280.pt"),
             (222, "argv: --ckpt-minutes 1.5"), (224, "resuming run 01d0d2 from checkpoints/step_003280.pt at step 3280"),
             (250, "epoch 7 step 4000 val_loss 0.003"), (314, "checkpoint [timer] checkpoints/step_004935.pt"),
             (340, "epoch 11 step 6000 val_loss 0.003"), (372, "checkpoint [final] checkpoints/step_006000.pt"),
             (372.1, "done at step 6000")]
    rows.sort()
    (tmp_path / "train.log").write_text("".join(f"{_stamp(s)} INFO train: {t}\n" for s, t in rows))
    (tmp_path / "train.py").write_text("print('train')\n")
    (tmp_path / "checkpoints").mkdir()
    for name, s in (("step_001653.pt", 92), ("step_003280.pt", 182), ("step_004935.pt", 314), ("step_006000.pt", 372)):
        (tmp_path / "checkpoints" / name).write_bytes(PICKLE)
        os.utime(tmp_path / "checkpoints" / name, (T0 + s, T0 + s))
    os.utime(tmp_path / "train.log", (T0 + 372.1, T0 + 372.1))
    r = PROBES["run.checkpoint_gaps"](Evidence(ProjectConfig(root=tmp_path), tmp_path / "checkpoints"), min_s=60, max_s=300)
    assert r.verdict == Verdict.YES, r.summary
