"""A restart's log line that says it resumed in other words: it restored a checkpoint file and
continues at a step (`restored runs/base/ckpt/ckpt-000865.pt, continuing at step 865`), as hand-written
loops print it; not a line that starts over (`continuing at step 0`) or restores only weights to
fine-tune from (`restored pretrained backbone`)."""

from __future__ import annotations


import pytest

import auditor.probes  # noqa: F401  (registers the probes)
from auditor.config import ProjectConfig
from auditor.evidence import Evidence
from auditor.model import PROBES, Verdict

PICKLE = b"\x80\x04}\x94."


@pytest.mark.parametrize("line, resumed", [
    ("2026-12-03 23:51:35,511 INFO restored runs/base/ckpt/ckpt-000865.pt, continuing at step 865", True),
    ("2026-12-03 23:51:35,511 INFO restored ckpt-000865.pt", True),
    ("2026-12-03 23:51:35,511 INFO loaded ckpt_4000.pth; continuing at iteration 4000", True),
    ("2026-12-03 23:51:35,511 INFO evaluation done, continuing at step 2000", False),
    ("2026-12-03 23:51:35,511 INFO saved checkpoint ckpt_200.pt, continuing at step 200", False),
    ("2026-12-03 23:51:35,511 INFO continuing at step 0", False),
    ("2026-12-03 23:51:35,511 INFO restored pretrained backbone", False),
    ("2026-12-03 23:51:35,511 INFO starting from scratch", False),
])
def test_a_restored_checkpoint_file_or_a_continued_step_is_a_resume_line(line, resumed):
    from auditor.evidence.runlog import resume_line

    assert resume_line(line) is resumed


def _line(s: int, text: str) -> str:
    return f"2026-12-03 23:{s // 60:02d}:{s % 60:02d},000 INFO {text}\n"


def test_a_restart_that_restored_a_checkpoint_file_and_continued_is_a_resume(tmp_path):
    log = _line(0, "argv: --gin_file=configs/base.gin") + _line(1, "starting from scratch")
    log += "".join(_line(2 + 2 * i, f"step {10 * (i + 1)} loss 3.4") for i in range(40))
    log += _line(50, "checkpoint [timer] step 200 -> out/ckpt/ckpt-000200.pt")
    log += "".join(_line(52 + 2 * i, f"step {210 + 10 * i} loss 3.3") for i in range(5))
    log += _line(120, "argv: --gin_file=configs/base.gin --gin_param=train.auto_resume = True")
    log += _line(121, "restored out/ckpt/ckpt-000200.pt, continuing at step 200")
    log += "".join(_line(122 + 2 * i, f"step {210 + 10 * i} loss 3.2") for i in range(20))
    root = tmp_path
    (root / "out/ckpt").mkdir(parents=True)
    (root / "out/ckpt/ckpt-000200.pt").write_bytes(PICKLE)
    (root / "out/train.log").write_text(log)
    r = PROBES["run.resumed"](Evidence(ProjectConfig(root=root), root / "out"))
    assert r.verdict == Verdict.YES, r.summary


def test_a_run_that_continues_after_an_evaluation_did_not_restart(tmp_path):
    log = _line(0, "argv: train.py") + "".join(_line(2 + 2 * i, f"step {10 * (i + 1)} loss 3.4") for i in range(20))
    log += _line(42, "checkpoint [timer] step 200 -> out/ckpt/ckpt-000200.pt")
    log += _line(43, "val_loss 3.1; evaluation done, continuing at step 200")
    log += "".join(_line(44 + 2 * i, f"step {210 + 10 * i} loss 3.2") for i in range(20))
    (tmp_path / "out/ckpt").mkdir(parents=True)
    (tmp_path / "out/ckpt/ckpt-000200.pt").write_bytes(PICKLE)
    (tmp_path / "out/train.log").write_text(log)
    r = PROBES["run.resumed"](Evidence(ProjectConfig(root=tmp_path), tmp_path / "out"))
    assert r.verdict == Verdict.NO_EVIDENCE, r.summary
