"""A run whose only log is JSON lines (`train.jsonl`, one record a line, as a JSON log formatter
writes them) is read as a console log too: its records' times, its start records with the
recorded command line (`"argv": "..."` or `"argv": [...]`) and its resume records split it into
sessions and tell an automatic resume from an explicit one. Held-out corpus project chronos logs
only so; its SIGKILL and restart went unseen ("the run never restarted").
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import auditor.probes  # noqa: F401  (registers the probes)
from auditor.config import load_config
from auditor.evidence import Evidence
from auditor.model import PROBES, Verdict
from auditor.resolve import resolve

T0 = 1796315537  # 2026-12-03 16:32:17 UTC


def _ts(s: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(T0 + s)) + ".000Z"


def _session(start_s: float, first_step: int, steps: int, argv, resumed_at: int | None) -> list[dict]:
    out = [{"ts": _ts(start_s), "level": "info", "msg": "start", "argv": argv}]
    if resumed_at is None:
        out.append({"ts": _ts(start_s + 1), "level": "info", "msg": "no checkpoint found, starting at step 0"})
    else:
        out.append({"ts": _ts(start_s + 1), "level": "info", "msg": f"resumed from step_{resumed_at:06d}.pt at step "
                    f"{resumed_at}", "step": resumed_at})
    for n in range(steps):
        step = first_step + 10 * (n + 1)
        out.append({"ts": _ts(start_s + 2 + 2 * n), "level": "info", "msg": "train", "step": step, "loss": 1.5})
        if n == 40:
            out.append({"ts": _ts(start_s + 2 + 2 * n), "level": "info", "msg": "checkpoint saved",
                        "path": f"checkpoints/step_{step:06d}.pt", "reason": "interval"})
    return out


def project(root: Path, argv_again) -> Path:
    run = root / "runs" / "demo"
    (run / "checkpoints").mkdir(parents=True)
    (root / "train.py").write_text("import torch\n")
    records = _session(0, 0, 60, "chronos/__main__.py train --run-dir runs/demo", None)
    records += _session(150, 410, 60, argv_again, 410)
    (run / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    os.utime(run / "train.jsonl", (T0 + 272, T0 + 272))
    for step, at in ((410, 84), (820, 234)):
        (run / "checkpoints" / f"step_{step:06d}.pt").write_bytes(b"\x80\x04}\x94.")
        os.utime(run / "checkpoints" / f"step_{step:06d}.pt", (T0 + at, T0 + at))
    return root


def probe(name: str, root: Path):
    config = resolve(load_config(root))
    return PROBES[name](Evidence(config, root / "runs" / "demo"))


def test_a_json_lines_log_is_split_at_its_start_records_and_the_restart_resumed(tmp_path):
    project(tmp_path, "chronos/__main__.py train --run-dir runs/demo")
    r = probe("run.resumed", tmp_path)
    assert r.verdict == Verdict.YES and r.measured["sessions"] == 2, (r.summary, r.measured)


def test_a_restart_whose_recorded_argv_has_no_resume_option_resumed_by_itself(tmp_path):
    project(tmp_path, "chronos/__main__.py train --run-dir runs/demo")
    r = probe("run.auto_resumed", tmp_path)
    assert r.verdict == Verdict.YES, r.summary
    assert any(c.source == "train.jsonl" and c.line == 64 for c in r.citations), r.citations


def test_an_argv_list_with_a_resume_option_is_an_explicit_resume(tmp_path):
    project(tmp_path, ["chronos/__main__.py", "train", "--run-dir", "runs/demo", "--resume-from",
                       "runs/demo/checkpoints/step_000410.pt"])
    r = probe("run.auto_resumed", tmp_path)
    assert r.verdict == Verdict.NO, r.summary
