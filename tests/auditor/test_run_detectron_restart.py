"""detectron2-style runs (a yacs config, a hook trainer): `default_setup` logs `Command line arguments:
Namespace(...)` at each start, then the full config; a restart given --resume loads the newest
checkpoint and logs `Starting training from iteration 240` (`from iteration 0` on a first start). The
Namespace line is the start's command line (its `resume=True` the option it was given), and a start
from an iteration past the first is a resume.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import auditor.probes  # noqa: F401  (registers the probes)
from auditor.config import load_config
from auditor.evidence import Evidence
from auditor.evidence.runcommands import command_of
from auditor.evidence.runlog import resume_line
from auditor.model import PROBES, Verdict
from auditor.resolve import resolve


def _banner(minute: int, second: int, resume: bool) -> list[str]:
    return [f"[12/04 00:{minute:02d}:{second:02d} minidet]: Command line arguments: "
            f"Namespace(config_file='configs/tiny.yaml', resume={resume}, opts=[])",
            f"[12/04 00:{minute:02d}:{second:02d} minidet]: Running with full config:",
            "SOLVER:", "  CHECKPOINT_PERIOD: 120", "  MAX_ITER: 600", "VERSION: 1", ""]


def _iters(first: int, last: int, minute: int) -> list[str]:
    out = []
    for n, it in enumerate(range(first, last, 20)):
        out.append(f"[12/04 00:{minute:02d}:{n:02d} minidet.engine]: eta: 0:00:30  iter: {it}  total_loss: 0.5  "
                   "lr: 0.05000")
        if (it + 1) % 120 == 0:
            out.append(f"[12/04 00:{minute:02d}:{n:02d} minidet.checkpoint]: Saving checkpoint to "
                       f"./output/model_{it:07d}.pth")
    return out


def project(root: Path) -> Path:
    (root / "train_net.py").write_text("def main(args):\n    trainer.resume_or_load(resume=args.resume)\n"
                                       "    trainer.train()\n")
    out = root / "output"
    out.mkdir()
    lines = _banner(36, 1, False) + ["[12/04 00:36:02 minidet.engine]: Starting training from iteration 0"]
    lines += _iters(19, 260, 36)
    lines += _banner(38, 0, True)
    lines += ["[12/04 00:38:01 minidet.checkpoint]: Loading checkpoint from ./output/model_0000239.pth",
              "[12/04 00:38:01 minidet.checkpoint]: Loading optimizer from ./output/model_0000239.pth",
              "[12/04 00:38:01 minidet.engine]: Starting training from iteration 240"]
    lines += _iters(259, 600, 39)
    (out / "log.txt").write_text("\n".join(lines) + "\n")
    for it in (119, 239, 359, 479, 599):
        (out / f"model_{it:07d}.pth").write_bytes(b"PK\x03\x04")
    (out / "last_checkpoint").write_text("model_0000599.pth")
    return root


@pytest.mark.parametrize("text, command", [
    ("Command line arguments: Namespace(config_file='c.yaml', resume=True, opts=[])",
     "Namespace(config_file='c.yaml', resume=True, opts=[])"),
    ("Command line args: Namespace(resume=False)", "Namespace(resume=False)"),
])
def test_a_logged_namespace_of_arguments_is_a_command_line(text, command):
    assert command_of(text) == command


@pytest.mark.parametrize("text, resumed", [
    ("[12/04 00:37:19 minidet.engine]: Starting training from iteration 240", True),
    ("Starting training from step 1200", True),
    ("[12/04 00:36:41 minidet.engine]: Starting training from iteration 0", False),
    ("Starting training from step 1", False),  # a loop counting from 1
])
def test_a_start_from_an_iteration_past_the_first_is_a_resume(text, resumed):
    assert resume_line(text) is resumed


def test_the_restart_is_a_session_of_its_own_with_its_arguments(tmp_path):
    config = resolve(load_config(project(tmp_path)))
    run = Evidence(config, tmp_path / "output").run
    assert [s.start_source for s in run.log.sessions] == ["log.txt:1", "log.txt:24"]
    assert run.log.sessions[1].explicit_resume


@pytest.mark.parametrize("rule, verdict", [
    ("run.resumed", Verdict.YES),
    ("run.auto_resumed", Verdict.NO),  # its arguments say resume=True: it was asked to
])
def test_a_detectron2_style_restart_is_judged_a_resume_it_was_asked_for(tmp_path, rule, verdict):
    config = resolve(load_config(project(tmp_path)))
    r = PROBES[rule](Evidence(config, tmp_path / "output"))
    assert r.verdict == verdict, r.summary
