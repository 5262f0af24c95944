"""Attacks through the run directory and the code: links out of the run, manifests naming files
outside it (a hash oracle with --verify-checksums), FIFOs, /dev/zero, zip bombs, deep JSON in
one events line, manifest or progress file, an unreadable events file, a 100k-term
expression, and pickles that would run code. One bad item costs one entry; the rest of the
column is judged. Measured in a child process (conftest.audit_child)."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil
import zipfile
from pathlib import Path

import pytest

from .conftest import ROOT, audit_child, replace_with_fifo, replace_with_link

COMPLIANT_RUN = ROOT / "tests" / "fixtures" / "compliant_run"
DEEP = "[" * 30000 + "]" * 30000


@pytest.fixture
def run(project: Path) -> Path:
    """Our layout of run directory, inside the project (passed with --run)."""
    dest = project / "run"
    shutil.copytree(COMPLIANT_RUN, dest)
    return dest


def _verdicts(outcome, column: str) -> list[str]:
    doc = json.loads(outcome.stdout)
    return [r["cells"][column]["verdict"] for r in doc["rules"]]


def _checked(outcome, code: int = 1) -> None:
    assert outcome.exit_code == code, (outcome.stdout[-1500:], outcome.stderr[-1500:])
    outcome.assert_bounded()
    outcome.assert_no_secret()


def test_a_log_linked_out_of_the_run_is_not_read(project, run, secret):
    replace_with_link(run / "train.log", secret)
    outcome = audit_child(project, "--run", str(run))
    _checked(outcome)
    assert "train.log: links outside the run directory; not followed" in outcome.stdout


@pytest.mark.parametrize("field", ["absolute", "dotdot"])
def test_a_manifest_file_field_outside_the_run_is_neither_stat_ed_nor_hashed(project, run, secret, field):
    data = secret.read_bytes()
    manifest_path = run / "checkpoints" / "step-00000476.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest.update(file=str(secret) if field == "absolute" else "../../../host/shadow", size_bytes=len(data),
                    sha256=hashlib.sha256(data).hexdigest())
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    outcome = audit_child(project, "--run", str(run), "--verify-checksums")
    _checked(outcome)
    assert "its file field: links outside the run directory" in outcome.stdout
    assert f"size {len(data)} bytes" not in outcome.everything  # nothing about the target, not even its size


@pytest.mark.parametrize("where", ["events.jsonl", "train.log", "progress.json", "checkpoints/step-00000476.json"])
@pytest.mark.parametrize("kind", ["fifo", "dev_zero"])
def test_fifos_and_dev_zero_in_the_run_cost_one_entry(project, run, where, kind):
    if kind == "fifo":
        replace_with_fifo(run / where)
    else:
        replace_with_link(run / where, "/dev/zero")
    outcome = audit_child(project, "--run", str(run))
    _checked(outcome)
    why = "a FIFO, not a regular file" if kind == "fifo" else "links outside the run directory"
    assert f"{where}: {why}" in outcome.stdout, outcome.stdout[-3000:]
    assert "error" not in _verdicts(outcome, "working")


@pytest.mark.parametrize("where", ["events.jsonl", "progress.json", "checkpoints/step-00000476.json"])
def test_deep_json_in_one_file_is_one_entry_not_a_column_of_errors(project, run, where):
    path = run / where
    if where == "events.jsonl":
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(DEEP + "\n")
    else:
        path.write_text(DEEP, encoding="utf-8")
    outcome = audit_child(project, "--run", str(run))
    _checked(outcome)
    verdicts = _verdicts(outcome, "working")
    assert "error" not in verdicts and "yes" in verdicts, verdicts
    assert "nested deeper than 64 levels" in outcome.stdout


def test_an_unreadable_events_file_costs_one_entry(project, run):
    (run / "events.jsonl").chmod(0)
    outcome = audit_child(project, "--run", str(run), obey_permissions=True)
    if os.geteuid() == 0 and "Permission denied" not in outcome.stdout:
        pytest.skip("root here cannot be made to obey file permission bits (no CAP_SETPCAP)")
    _checked(outcome)
    assert "events.jsonl: cannot be read (Permission denied)" in outcome.stdout
    assert "error" not in _verdicts(outcome, "working")


def test_a_zip_bomb_checkpoint_is_refused_within_the_memory_bound(project):
    run = project / "results" / "magvit_training"
    bomb = run / "model_epoch_99.pt"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        with zf.open("archive/data.pkl", "w", force_zip64=True) as member:
            block = b"\0" * (1 << 20)
            for _ in range(1024):  # 1 GiB inflated
                member.write(block)
    assert bomb.stat().st_size < 2 * 1024 * 1024
    os.utime(bomb, (1.7e9, 1.7e9))  # not a save in progress
    outcome = audit_child(project)
    _checked(outcome)
    from auditor.config import load_config
    from auditor.evidence import run as run_evidence

    (found,) = [c for c in run_evidence.collect(load_config(project), run).checkpoints if c.file == bomb.name]
    assert found.status == "unreadable" and "inflates past the 16777216-byte limit" in found.note


def test_a_100k_term_expression_in_one_source_file_is_one_entry(project):
    (project / "train_magvit.py").write_text((project / "train_magvit.py").read_text(encoding="utf-8")
                                             + "\nX = " + "+".join(["1"] * 100_000) + "\n", encoding="utf-8")
    (project / "tests" / "test_deep.py").write_text("Y = " + "+".join(["1"] * 1000) + "\n", encoding="utf-8")
    outcome = audit_child(project)
    _checked(outcome)
    assert "train_magvit.py: Python source nested too deeply" in outcome.stdout
    assert "error" not in _verdicts(outcome, "code") and "error" not in _verdicts(outcome, "tested")


class _Calls:
    def __init__(self, fn, *args):
        self.fn, self.args = fn, args

    def __reduce__(self):
        return (self.fn, self.args)


@pytest.mark.parametrize("target", ["cProfile.run", "pydoc.pipepager"])
def test_a_checkpoint_whose_pickle_calls_outside_the_allowlist_is_not_evidence(project, target):
    module, name = target.split(".")
    fn = getattr(__import__(module), name)
    run = project / "results" / "magvit_training"
    path = run / "model_epoch_100.pt"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("archive/data.pkl", pickle.dumps({"epoch": 100, "x": _Calls(fn, "print(1)", "y")}, protocol=2))
    outcome = audit_child(project, "--run", str(run))
    _checked(outcome)
    from auditor.config import load_config
    from auditor.evidence import run as run_evidence

    (found,) = [c for c in run_evidence.collect(load_config(project), run).checkpoints if c.file == path.name]
    assert found.status == "unreadable" and not found.usable
    assert found.note.startswith(f"unloadable: references {target}"), found.note
