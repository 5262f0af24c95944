"""A timm-style run folder, written here (not the corpus): checkpoints saved with torch.save as
`*.pth.tar` (checkpoint-E.pth.tar, recovery-E-B.pth.tar, last.pth.tar, model_best.pth.tar),
a `log.txt` of `Train: E [  B/N (..%)]  Loss: ...` lines, and the `args.yaml` each start writes,
which records the `--resume` path the restart was given."""

from __future__ import annotations

import argparse
import pickle
import zipfile
from pathlib import Path

import pytest

import auditor.probes  # noqa: F401  (registers the probes)
from auditor.ckptnames import is_checkpoint_file
from auditor.config import load_config
from auditor.discovery import discover
from auditor.evidence import Evidence
from auditor.evidence.checkpoints import kind_of
from auditor.evidence.steplines import is_batch_line
from auditor.model import PROBES, Verdict
from auditor.resolve import resolve

RUN = "output/train/20260101-100000-net-32"
T = "2026-01-01 10:{:02d}:{:02d},000 INFO "


def _checkpoint(epoch: int) -> bytes:
    from io import BytesIO

    state = {"epoch": epoch, "arch": "net", "state_dict": {}, "args": argparse.Namespace(lr=0.1), "version": 2}
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("archive/data.pkl", pickle.dumps(state, protocol=2))
    return buffer.getvalue()


def _log() -> str:
    lines, t = [], 0

    def at(text: str) -> None:
        nonlocal t
        lines.append(T.format(t // 60, t % 60) + text)
        t += 5

    for session, epochs in enumerate(((0, 1), (2, 3))):
        at("Model net created, param count: 5514")
        if session:
            at(f"Loaded checkpoint '{RUN}/recovery-1-39.pth.tar' (epoch 1)")
        at(f"Scheduled epochs: 4. Starting at epoch {epochs[0]}.")
        for e in epochs:
            for b in (0, 20, 40, 60):
                at(f"Train: {e} [  {b:2d}/80 ({b * 100 // 80:3d}%)]  Loss: 0.{9 - e}12 (0.5)  Time: 0.42s  LR: 5e-02")
                if b in (20, 60):
                    at(f"Wrote recovery checkpoint recovery-{e}-{b + 19}.pth.tar")
            at("Test: [   9/9]  Time: 0.414 (0.412)  Loss:   0.078 ( 0.087)  Acc@1: 100.000 (100.000)")
            at("Current checkpoints:")
            lines.append(f" ('./{RUN}/checkpoint-{e}.pth.tar', 100.0)")
            lines.append("")
            if session == 0 and e == 1:
                break
        t += 600  # the kill, and the downtime before the restart
    return "\n".join(lines) + "\n"


def _project(root: Path) -> Path:
    files: dict[str, str | bytes] = {
        "train.py": "import torch\n\ndef main():\n    for epoch in range(4):\n        pass\n",
        f"{RUN}/log.txt": _log(),
        f"{RUN}/summary.csv": "epoch,train_loss,eval_loss\n0,0.5,0.1\n",
        f"{RUN}/args.yaml": "epochs: 4\nlr: 0.1\nno_resume_opt: false\n"
                            f"resume: {RUN}/recovery-1-39.pth.tar\nrecovery_interval: 40\n",
    }
    for name, epoch in (("checkpoint-0", 0), ("checkpoint-3", 3), ("recovery-1-39", 1), ("recovery-3-79", 3),
                        ("last", 3), ("model_best", 3)):
        files[f"{RUN}/{name}.pth.tar"] = _checkpoint(epoch)
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content, encoding="utf-8")
    return root


def _probe(name: str, root: Path):
    config = resolve(load_config(root))
    return PROBES[name](Evidence(config, root / RUN))


@pytest.mark.parametrize("name, taken", [("checkpoint-3.pth.tar", True), ("model_best.pth.tar", True),
                                         ("ckpt.pt.tar", True), ("data.tar", False), ("images.tar.gz", False)])
def test_pth_tar_files_are_checkpoints_and_a_data_archive_is_not(name, taken):
    assert is_checkpoint_file(name) is taken


def test_pth_tar_names_say_their_kind():
    assert kind_of("last.pth.tar")[0] == "final"
    assert kind_of("model_best.pth.tar")[0] == "best"
    assert kind_of("recovery-2-79.pth.tar")[0] == kind_of("checkpoint-3.pth.tar")[0] == "periodic"


def test_a_percent_after_the_batch_counter_is_still_a_per_step_line():
    assert is_batch_line("2026-01-01 10:00:05,000 INFO Train: 0 [  20/100 ( 20%)]  Loss: 0.8662 (1.37)  Time: 0.4s")
    assert not is_batch_line("2026-01-01 10:00:05,000 INFO Test: [   9/9]  Time: 0.414  Loss:   0.078 ( 0.087)")


def test_a_folder_of_pth_tar_checkpoints_is_the_run_with_its_log_txt(tmp_path):
    root = _project(tmp_path / "p")
    run = discover(root).run_dir
    assert run is not None and run.path == RUN and f"{RUN}/log.txt" in run.logs


def test_the_timm_run_reads_as_its_files_and_log_say(tmp_path):
    root = _project(tmp_path / "p")
    periodic = _probe("run.periodic_checkpoints", root)
    assert periodic.verdict == Verdict.YES, periodic.summary
    assert _probe("run.batch_logging", root).verdict == Verdict.YES
    gaps = _probe("run.checkpoint_gaps", root)
    assert gaps.verdict == Verdict.PARTIAL and gaps.measured["sessions"] == 2, gaps.summary
    assert gaps.measured["largest_gap_s"] < 60, gaps.summary  # within sessions, never across the downtime
    assert _probe("run.resumed", root).verdict == Verdict.YES
    auto = _probe("run.auto_resumed", root)
    assert auto.verdict == Verdict.NO and "args.yaml" in auto.summary, auto.summary
    assert _probe("run.heartbeat", root).verdict == Verdict.NO
    assert _probe("run.progress_fresh", root).verdict == Verdict.NO
