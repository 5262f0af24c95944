"""A resume asked for by a configuration binding on the recorded command line: gin's
`--gin_param=train.auto_resume = True` (`--gin_bindings`), ml_collections' `--config.resume=True`,
a dotted OmegaConf key `trainer.resume_from_checkpoint=path`. The restart resumed because the
option was given, not by itself; `train.auto_resume = False` asks for nothing."""

from __future__ import annotations

import pytest

import auditor.probes  # noqa: F401  (registers the probes)
from auditor.config import ProjectConfig
from auditor.evidence import Evidence
from auditor.evidence.runcommands import resume_option
from auditor.model import PROBES, Verdict

PICKLE = b"\x80\x04}\x94."


@pytest.mark.parametrize("command, given", [
    ("--gin_file=configs/base.gin --gin_param=train.auto_resume = True", True),
    ("--gin_file=configs/base.gin --gin_bindings='train.resume = True'", True),
    ("train.py --config=configs/base.py --config.resume=True", True),
    ("train.py trainer.resume_from_checkpoint=runs/a/last.ckpt", True),
    ("--gin_file=configs/base.gin --gin_param=train.auto_resume = False", False),
    ("--gin_file=configs/base.gin", False),
    ("train.py --config.lr=0.1", False),
])
def test_a_configuration_binding_that_asks_for_a_resume_is_a_resume_option(command, given):
    assert bool(resume_option(command)) is given


def _line(s: int, text: str) -> str:
    return f"2026-12-03 23:{s // 60:02d}:{s % 60:02d},000 INFO {text}\n"


def test_a_restart_whose_argv_binds_auto_resume_did_not_resume_by_itself(tmp_path):
    log = _line(0, "argv: --gin_file=configs/base.gin") + _line(1, "starting from scratch")
    log += "".join(_line(2 + 2 * i, f"step {10 * (i + 1)} loss 3.4") for i in range(40))
    log += _line(50, "checkpoint [timer] step 200 -> out/ckpt/ckpt-000200.pt")
    log += "".join(_line(52 + 2 * i, f"step {210 + 10 * i} loss 3.3") for i in range(5))
    log += _line(120, "argv: --gin_file=configs/base.gin --gin_param=train.auto_resume = True")
    log += _line(121, "resumed from out/ckpt/ckpt-000200.pt at step 200")
    log += "".join(_line(122 + 2 * i, f"step {210 + 10 * i} loss 3.2") for i in range(20))
    (tmp_path / "out/ckpt").mkdir(parents=True)
    (tmp_path / "out/ckpt/ckpt-000200.pt").write_bytes(PICKLE)
    (tmp_path / "out/train.log").write_text(log)
    r = PROBES["run.auto_resumed"](Evidence(ProjectConfig(root=tmp_path), tmp_path / "out"))
    assert r.verdict == Verdict.NO, r.summary
