"""Attacks through the formats of other frameworks' runs: a Keras archive whose metadata.json
inflates to a gigabyte, Keras and HDF5 checkpoints linked out of the run, a DCP folder whose
.metadata links out, and a watchdog's JSON that is a FIFO or /dev/zero. One bad item costs one
entry (or is passed over), nothing hangs, nothing about a link's target is shown. Measured in a
child process (conftest.audit_child)."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import pytest

from .conftest import audit_child, replace_with_fifo, replace_with_link

HDF5 = b"\x89HDF\r\n\x1a\n" + b"\0" * 32
T0 = 1.7e9  # not a save in progress


def _keras(path: Path, metadata: bytes | None = None) -> None:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("metadata.json", metadata or json.dumps({"keras_version": "3.5.0"}).encode())
        zf.writestr("config.json", "{}")


@pytest.fixture
def keras_run(project: Path) -> Path:
    run = project / "kout"
    (run / "checkpoints").mkdir(parents=True)
    for n in (1, 2, 3):
        _keras(run / "checkpoints" / f"ckpt-e0{n}.keras")
    (run / "checkpoints" / "ckpt-e04.weights.h5").write_bytes(HDF5)
    (run / "train.log").write_text("2026-01-01 10:00:00 start argv: train.py\nEpoch 1/4\n", encoding="utf-8")
    for p in (run / "checkpoints").iterdir():
        os.utime(p, (T0, T0))
    return run


def _checkpoints(project: Path, run: Path) -> dict:
    from auditor.config import load_config
    from auditor.evidence import run as run_evidence

    return {c.file: c for c in run_evidence.collect(load_config(project), run).checkpoints}


def _checked(outcome) -> dict:
    assert outcome.exit_code == 1, (outcome.stdout[-1500:], outcome.stderr[-1500:])
    outcome.assert_bounded()
    outcome.assert_no_secret()
    doc = json.loads(outcome.stdout)
    assert "error" not in [r["cells"]["working"]["verdict"] for r in doc["rules"]]
    return doc


def test_a_keras_archive_whose_metadata_inflates_to_a_gigabyte_is_refused_within_the_bound(project, keras_run):
    bomb = keras_run / "checkpoints" / "ckpt-e05.keras"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        with zf.open("metadata.json", "w", force_zip64=True) as member:
            block = b" " * (1 << 20)
            for _ in range(1024):  # 1 GiB inflated
                member.write(block)
    os.utime(bomb, (T0, T0))
    _checked(audit_child(project, "--run", str(keras_run)))
    found = _checkpoints(project, keras_run)["checkpoints/ckpt-e05.keras"]
    assert found.status == "unreadable" and "inflates past" in found.note, found.note


@pytest.mark.parametrize("name", ["ckpt-e02.keras", "ckpt-e04.weights.h5"])
def test_a_keras_or_hdf5_checkpoint_linked_out_of_the_run_is_not_read(project, keras_run, secret, name):
    replace_with_link(keras_run / "checkpoints" / name, secret)
    outcome = audit_child(project, "--run", str(keras_run))
    _checked(outcome)
    assert f"checkpoints/{name}: links outside the run directory" in outcome.stdout, outcome.stdout[-3000:]
    assert f"checkpoints/{name}" not in _checkpoints(project, keras_run)


def test_a_dcp_folder_whose_metadata_links_out_costs_one_entry(project, secret):
    run = project / "dcp"
    for step in ("step_000100", "step_000200"):
        folder = run / "checkpoints" / step
        folder.mkdir(parents=True)
        (folder / "__0_0.distcp").write_bytes(b"shard")
        (folder / ".metadata").write_bytes(b"meta")
    replace_with_link(run / "checkpoints" / "step_000200" / ".metadata", secret)
    outcome = audit_child(project, "--run", str(run))
    _checked(outcome)
    assert "links outside the run directory" in outcome.stdout
    found = _checkpoints(project, run)
    assert found["checkpoints/step_000100"].usable and "checkpoints/step_000200" not in found


@pytest.mark.parametrize("name", ["alive.json", "watch.json"])
@pytest.mark.parametrize("kind", ["fifo", "dev_zero"])
def test_a_watchdog_json_that_is_a_fifo_or_dev_zero_does_not_hang(project, keras_run, name, kind):
    if kind == "fifo":
        replace_with_fifo(keras_run / name)
    else:
        replace_with_link(keras_run / name, "/dev/zero")
    outcome = audit_child(project, "--run", str(keras_run))
    doc = _checked(outcome)
    cells = {r["id"]: r["cells"]["working"] for r in doc["rules"]}
    assert cells["progress-file"]["verdict"] == "no" and cells["heartbeat"]["verdict"] != "yes"
