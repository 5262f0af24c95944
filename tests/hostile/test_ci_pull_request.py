"""A real CI pattern: `audit check --format sarif` on a pull request that adds every hostile file
at once yields SARIF valid against the official SARIF 2.1.0 schema (tests/fixtures/sarif) that
holds no byte of any file outside the project."""

from __future__ import annotations

import json
import os
import sys
import zipfile
from pathlib import Path

import jsonschema

from .conftest import ROOT, SECRET, replace_with_fifo, replace_with_link, run_child, sparse

SCHEMA = ROOT / "tests" / "fixtures" / "sarif" / "sarif-schema-2.1.0.json"


def test_sarif_of_a_hostile_pull_request_is_valid_and_leaks_nothing(project: Path, secret: Path) -> None:
    run = project / "results" / "magvit_training"
    (project / "etcdir").symlink_to(secret.parent)
    replace_with_link(project / ".cursorrules", secret)
    replace_with_fifo(project / "reports" / "junit.xml")
    replace_with_link(run / "20260125_0310_training.log", "/dev/zero")
    (run / "events.jsonl").write_text('{"ts": 1, "event": "run_start", "x": "\x07\x1b[2J"}\n' + "[" * 30000 + "\n")
    sparse(run / "progress.json", 10 * 1024**3)
    with zipfile.ZipFile(run / "model_epoch_99.pt", "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("archive/data.pkl", b"\0" * (64 * 1024 * 1024))
    (project / "tests" / "test_deep.py").write_text("X = " + "+".join(["1"] * 100_000) + "\n")
    (project / "artifacts" / "evil-red.json").symlink_to(secret)
    os.utime(run / "model_epoch_99.pt", (1.7e9, 1.7e9))
    out = project.parent / "audit.sarif"
    code, stdout, stderr, seconds, rss = run_child(
        [sys.executable, "-m", "auditor", "check", "--project", str(project), "--format", "sarif", "--output",
         f"sarif={out}"], cwd=project.parent)
    assert code == 1, stderr[-2000:]
    assert seconds < 10 and rss < 300, (seconds, rss)
    for text in (stdout, out.read_text(encoding="utf-8"), stderr):
        assert SECRET not in text and "S3CRET" not in text
        assert "\x07" not in text and "\x1b" not in text
    doc = json.loads(stdout)
    jsonschema.Draft4Validator(json.loads(SCHEMA.read_text(encoding="utf-8"))).validate(doc)
    assert doc["runs"][0]["results"], "the hostile pull request is non-compliant: SARIF must say where"
