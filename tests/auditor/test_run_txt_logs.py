"""A run's console log written as text with "log" in its name: `log_<unix time>.txt` (one file a
launch, as torchtune-style recipes name theirs), `train_log.txt`, `log-2.txt`. Held-out corpus
project recipe_tune keeps its only logs so, and its per-step lines, saves and resumed restart went
unseen ("no log file"). A text file that is not named a log (notes.txt, changelog.txt) is not one.
"""

from __future__ import annotations

import os
from pathlib import Path

import auditor.probes  # noqa: F401  (registers the probes)
from auditor.config import load_config
from auditor.evidence import Evidence
from auditor.model import PROBES, Verdict
from auditor.resolve import resolve

T0 = 1796315431  # 2026-12-03 16:30:31 UTC


def _stamp(s: float) -> str:
    import time
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(T0 + s))


def _session(first_step: int, steps: int, start_s: float, command: str, resumed: str = "") -> list[str]:
    out = [f"{_stamp(start_s)} | INFO | Command: {command}"]
    if resumed:
        out.append(f"{_stamp(start_s)} | INFO | Resuming from checkpoint {resumed}: continuing at epoch 2")
    for n in range(steps):
        step = first_step + 10 * (n + 1)
        out.append(f"{_stamp(start_s + 3 * (n + 1))} | INFO | Step {step} | loss 1.{step % 97:02d} | lr 2e-3")
    return out


def project(root: Path, first: str = "log_1796315431.txt", second: str = "log_1796315662.txt") -> Path:
    run = root / "outputs" / "tiny"
    run.mkdir(parents=True)
    (root / "train.py").write_text("import torch\n")
    one = _session(0, 60, 0, "python -m recipes.train --config tiny.yaml")
    one.insert(31, f"{_stamp(90)} | INFO | Model checkpoint saved to outputs/tiny/epoch_0.pt")
    two = _session(300, 60, 231, "python -m recipes.train --config tiny.yaml resume_from_checkpoint=True",
                   resumed="outputs/tiny/epoch_0.pt")
    for name, lines, end in ((first, one, 180), (second, two, 411)):
        (run / name).write_text("\n".join(lines) + "\n")
        os.utime(run / name, (T0 + end, T0 + end))
    for name, at in (("epoch_0.pt", 90), ("epoch_1.pt", 400)):
        (run / name).write_bytes(b"\x80\x04}\x94.")
        os.utime(run / name, (T0 + at, T0 + at))
    return root


def probe(name: str, root: Path, **params):
    config = resolve(load_config(root))
    return PROBES[name](Evidence(config, root / "outputs" / "tiny"), **params)


def test_per_step_lines_of_a_log_named_log_stamp_txt_are_read(tmp_path):
    r = probe("run.batch_logging", project(tmp_path))
    assert r.verdict == Verdict.YES, r.summary
    assert any("log_1796315431.txt" in c.source for c in r.citations), r.citations


def test_the_second_launchs_log_is_a_restart_that_resumed_when_asked(tmp_path):
    project(tmp_path)
    resumed = probe("run.resumed", tmp_path)
    assert resumed.verdict == Verdict.YES and resumed.measured["sessions"] == 2, resumed.summary
    auto = probe("run.auto_resumed", tmp_path)
    assert auto.verdict == Verdict.NO and "resume_from_checkpoint=True" in auto.summary + str(auto.citations), \
        auto.summary


def test_a_captured_stdout_txt_is_a_log_too(tmp_path):
    """Held-out corpus project shell_env: `... | tee -a "$RUN_DIR/stdout.txt"`, one file every launch appends to."""
    project(tmp_path, first="stdout.txt", second="stdout-2.txt")
    r = probe("run.batch_logging", tmp_path)
    assert r.verdict == Verdict.YES and any("stdout" in c.source for c in r.citations), r.summary


def test_a_text_file_not_named_a_log_is_no_log(tmp_path):
    project(tmp_path, first="notes.txt", second="changelog.txt")
    r = probe("run.batch_logging", tmp_path)
    assert r.verdict != Verdict.YES, r.summary
