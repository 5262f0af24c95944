"""fairseq's progress lines in a run's log.

fairseq's progress lines: the simple format's `epoch 001:     25 / 400 loss=..., num_updates=25`
and the json format's `{"epoch": 1, "update": 0.062, "loss": "3.357", ...}` (values written as
strings), behind the logger's `date | INFO | train_inner |` prefix, are per-step lines; its
evaluation lines (`valid on 'valid' subset`, `valid_loss`) and epoch summaries
(`train | epoch 001 | loss ...`, `train_loss`) are not.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import auditor.probes  # noqa: F401  (registers the probes)
from auditor.config import ProjectConfig
from auditor.evidence import Evidence
from auditor.evidence.runlog import is_batch_line
from auditor.model import PROBES, Verdict

PICKLE = b"\x80\x04}\x94."  # an empty dict: a readable checkpoint with nothing in it
PREFIX = "2026-01-01 10:00:{s:02d} | INFO | {tag} | "


def write(root: Path, files: dict[str, str | bytes]) -> None:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def probe(name: str, root: Path, run: Path, **params):
    return PROBES[name](Evidence(ProjectConfig(root=root), run), **params)


def _simple(s: int, i: int) -> str:
    return (PREFIX.format(s=s, tag="train_inner") + f"epoch 001:     {i} / 400 loss=3.357, ppl=28.717, wps=531, "
            f"ups=4.145, bsz=4, num_updates={i}, lr=0.001, gnorm=0.465, wall={s}")


def _json(s: int, i: int) -> str:
    return (PREFIX.format(s=s, tag="train_inner") + f'{{"epoch": 1, "update": {i / 400:.3f}, "loss": "3.357", '
            f'"ppl": "28.72", "wps": "531", "ups": "4.15", "bsz": "4", "num_updates": "{i}", "lr": "0.001", '
            f'"gnorm": "0.465", "wall": "{s}"}}')


@pytest.mark.parametrize("line, per_step", [
    (_simple(6, 25), True),
    (_json(6, 25), True),
    ('{"epoch": 1, "update": 0.062, "loss": "3.357", "num_updates": "25"}', True),
    (PREFIX.format(s=9, tag="valid") + "epoch 001 | valid on 'valid' subset | loss 1.084 | ppl 2.96 | "
     "num_updates 100 | best_loss 1.084", False),
    (PREFIX.format(s=9, tag="train") + "epoch 001 | loss 1.246 | ppl 2.37 | num_updates 400", False),
    (PREFIX.format(s=9, tag="valid") + '{"epoch": 1, "valid_loss": "1.084", "valid_ppl": "2.96", '
     '"valid_num_updates": "100", "valid_best_loss": "1.084"}', False),
    (PREFIX.format(s=9, tag="train") + '{"epoch": 1, "train_loss": "1.246", "train_ppl": "2.37", '
     '"train_num_updates": "400", "train_wall": "96"}', False),
])
def test_fairseq_progress_lines_are_per_step_lines_and_its_summaries_are_not(line, per_step):
    assert is_batch_line(line) is per_step


@pytest.mark.parametrize("fmt", [_simple, _json])
def test_a_fairseq_log_shows_per_step_lines(tmp_path, fmt):
    log = "\n".join(fmt(s, i) for s, i in ((6, 25), (12, 50), (18, 75))) + "\n"
    write(tmp_path, {"checkpoints/x/checkpoint_1_100.pt": PICKLE, "checkpoints/x/train.log": log})
    r = probe("run.batch_logging", tmp_path, tmp_path / "checkpoints/x")
    assert r.verdict == Verdict.YES and r.citations[0].location() == "train.log:1"
