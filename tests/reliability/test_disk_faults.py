"""Disk faults at the checkpoint write of a real training run.

Root ignores file permissions and a tmpfs needs a mount, so the write failure is injected
with a real resource limit: the trainer runs in a subprocess that, once its first
checkpoint is committed, lowers RLIMIT_FSIZE below a checkpoint's size (SIGXFSZ ignored, so
writes past the limit fail with EFBIG, as a full disk fails them with ENOSPC), and raises
it again after two failed saves. Small files (events, progress, logs, manifests) still fit.
The free-space check before a save (ENOSPC foreseen) is exercised through the manager's
free-space hook on a real save.
"""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

import pytest
import torch

from magvit.checkpoint import CheckpointError, CheckpointManager
from magvit.progress import EventLog

from .conftest import PYTHON, ROOT, child_env

LIMITED_TRAINER = textwrap.dedent("""
    import json, resource, signal, sys, threading, time
    from pathlib import Path

    run_dir, data, limit = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit fail with EFBIG instead
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)

    def failures():
        try:
            lines = (run_dir / "events.jsonl").read_text().splitlines()
        except OSError:
            return 0
        return sum('"checkpoint_failed"' in line for line in lines)

    def inject():
        while not list((run_dir / "checkpoints").glob("step-*.json")):
            time.sleep(0.002)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
        while failures() < 2:
            time.sleep(0.002)
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))

    threading.Thread(target=inject, daemon=True).start()
    from magvit.cli import main
    main(["train", "--data", data, "--run-dir", str(run_dir), "--config", "magvit/configs/tiny.yaml",
          "--checkpoint-every", "2steps", "--epochs", "4"])
""")


def _events(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "events.jsonl").read_text().splitlines() if line.strip()]


def test_checkpoint_write_failure_warns_and_retries_at_the_next_interval(tmp_path: Path, tiny_data: Path) -> None:
    run = tmp_path / "run"
    script = tmp_path / "limited_trainer.py"
    script.write_text(LIMITED_TRAINER, encoding="utf-8")
    done = subprocess.run([PYTHON, str(script), str(run), str(tiny_data), str(64 * 1024)], cwd=ROOT,
                          env=child_env(), capture_output=True, text=True, timeout=300)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output

    # loud: the trainer said so on its output ...
    assert "warning: checkpoint save failed" in output and "File too large" in output
    # ... the events log records each failure, then saves succeed again at the next intervals
    events = _events(run)
    names = [e["event"] for e in events]
    failed = [i for i, n in enumerate(names) if n == "checkpoint_failed"]
    assert len(failed) >= 2, names
    assert "File too large" in events[failed[0]]["error"]
    assert any(n == "checkpoint_saved" for n in names[failed[-1]:]), "no save succeeded after the failures"
    assert names[-1] == "run_end" and events[-1]["status"] == "finished"
    # ... and the progress file says a save failed (and that a later one succeeded)
    progress = json.loads((run / "progress.json").read_text())
    assert progress["checkpoint_failures"] >= 2
    assert progress["last_checkpoint_error"]["step"] < progress["last_checkpoint"]["step"]
    assert "checkpoint save FAILED" in (run / "PROGRESS.txt").read_text()

    # nothing half-written under a final name, no temp files left, every committed checkpoint intact
    manager = CheckpointManager(run / "checkpoints")
    files = sorted(p.name for p in (run / "checkpoints").iterdir())
    assert not [f for f in files if f.startswith(".tmp-")], files
    for pt in (run / "checkpoints").glob("*.pt"):
        assert pt.with_suffix(".json").exists(), f"{pt.name} carries a final name without a manifest"
        manager.verify(pt)
    failed_steps = {e.get("step") for e in events if e["event"] == "checkpoint_failed"}
    assert not {f"step-{s:08d}.pt" for s in failed_steps if isinstance(s, int)} & set(files)


def test_a_full_disk_foreseen_by_the_free_space_check_leaves_earlier_checkpoints(tmp_path: Path) -> None:
    free = {"bytes": 10**12}
    events = EventLog(tmp_path)
    manager = CheckpointManager(tmp_path / "checkpoints", interval="2steps", events=events,
                                free_bytes=lambda _path: free["bytes"])
    state = {"w": torch.arange(1000, dtype=torch.float32)}
    first = manager.save(state, kind="periodic", step=2, epoch=0, batch_in_epoch=2, epochs=1, losses={},
                         train_elapsed_s=1.0, stage="tokenizer")
    free["bytes"] = 100
    with pytest.raises(CheckpointError, match="not enough free space"):
        manager.save(state, kind="periodic", step=4, epoch=0, batch_in_epoch=4, epochs=1, losses={},
                     train_elapsed_s=2.0, stage="tokenizer")
    assert manager.verify(tmp_path / "checkpoints" / first.file).step == 2
    assert sorted(p.name for p in (tmp_path / "checkpoints").iterdir()) == ["step-00000002.json", "step-00000002.pt"]
    assert [e["event"] for e in events.read()] == ["checkpoint_saved", "checkpoint_failed"]
    assert manager.latest_valid()[1].step == 2
