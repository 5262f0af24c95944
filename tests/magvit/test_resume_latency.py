"""Finding the checkpoint to resume from reads only what it must: the manifests, and the
sha256 of the checkpoint it picks (plus those of newer ones it rejects), never every file
of the run directory (docs/benchmarks.md section 5); it also loads the one it picks (once:
the trainer then uses that payload), since a checkpoint torch refuses is passed over too.
Bytes read are counted by the kernel (/proc/self/io), with real files, so a discovery that
hashed or loaded every candidate would fail."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from magvit.checkpoint import CHECKPOINT_FORMAT, CheckpointManager
from magvit.resume import find_resume_point

PROC_IO = Path("/proc/self/io")
pytestmark = pytest.mark.skipif(not PROC_IO.exists(), reason="needs Linux /proc/self/io to count bytes read")

MB = 1 << 20


def _bytes_read() -> int:
    fields = dict(line.split(": ") for line in PROC_IO.read_text().splitlines())
    return int(fields["rchar"])


def _run_dir_with_checkpoints(tmp_path: Path, steps: list[int]) -> CheckpointManager:
    manager = CheckpointManager(tmp_path / "checkpoints", keep_last=len(steps))
    for step in steps:
        state = {"format": CHECKPOINT_FORMAT, "weights": torch.full((MB,), float(step))}  # 4 MB each
        manager.save(state, kind="periodic", step=step, epoch=0, batch_in_epoch=step, epochs=1,
                     losses={}, train_elapsed_s=float(step), stage="tokenizer")
    return manager


def test_discovery_hashes_only_the_checkpoint_it_resumes_from(tmp_path):
    manager = _run_dir_with_checkpoints(tmp_path, [1, 2, 3, 4, 5])
    size = (manager.directory / "step-00000005.pt").stat().st_size
    before = _bytes_read()
    loaded = {}
    found = find_resume_point(manager, "auto", loaded=loaded)
    read = _bytes_read() - before
    assert found == manager.directory / "step-00000005.pt" and loaded[found]["weights"][0] == 5
    # one sha256 pass and one load of the file picked
    assert 2 * size <= read < 2.5 * size, f"read {read} bytes to pick and load one checkpoint of {size}"


def test_a_corrupt_newest_costs_one_more_hash_and_falls_back(tmp_path):
    manager = _run_dir_with_checkpoints(tmp_path, [1, 2, 3, 4, 5])
    newest = manager.directory / "step-00000005.pt"
    blob = bytearray(newest.read_bytes())
    blob[len(blob) // 2] ^= 0xFF  # same size: only the sha256 tells
    newest.write_bytes(bytes(blob))
    size = newest.stat().st_size
    before = _bytes_read()
    found = find_resume_point(manager, "auto")
    read = _bytes_read() - before
    assert found == manager.directory / "step-00000004.pt"
    # the corrupt one's sha256, then the picked one's sha256 and load
    assert 3 * size <= read < 3.5 * size, f"read {read} bytes to pick one of two checkpoints of {size}"
