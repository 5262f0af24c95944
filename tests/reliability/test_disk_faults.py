"""Disk faults at the checkpoint write of a real training run, with the kernel's own errors.

One trainer script (FAULT_TRAINER) runs tiny.yaml in a subprocess with a fault injected at
its checkpoint saves; an injector thread waits for the first committed checkpoint, breaks
the checkpoint folder, and repairs it once the failures it wants are in the events log:

- EFBIG: RLIMIT_FSIZE lowered below a checkpoint's size (SIGXFSZ ignored, so the write
  fails with "File too large"); small files (events, progress, manifests) still fit.
- ENOSPC: a real full file system. The script runs in its own mount namespace
  (``unshare -rm``, else ``unshare -m``) and mounts a 16 MiB tmpfs on RUN/checkpoints, which
  a filler file then fills: (1) before a save, so the free-space check refuses it (foreseen);
  (2) as the trainer opens the temp file of a best.pt save, i.e. after the check passed, so
  the write runs out of space mid-file; (3) as it opens a manifest's temp file, so the .pt
  is written and the commit marker is not. The moment of (2) and (3) is taken from the
  interpreter's audit hook ("open" events) -- a disk filled by someone else in between,
  made deterministic. The mount is private to the namespace, so the script copies the
  folder to RUN/checkpoints.after before it exits.
- EACCES: RUN/checkpoints made read-only (0o555) so the temp file cannot be created. Root
  ignores permission bits, so as root the trainer runs without CAP_DAC_OVERRIDE,
  CAP_DAC_READ_SEARCH and CAP_FOWNER (dropped from its capability bounding set before exec):
  still uid 0, owner of its files, but bound by their mode bits. (Running it as 'nobody'
  is not possible where the interpreter lives under a 0700 /root.)

At every event the trainer itself writes, the audit hook also checks the invariant that
the checkpoint folder holds no temp file and no checkpoint without its manifest; a
violation is written to RUN/violations.txt. The free-space check is also exercised
through the manager's free-space hook on a single save.
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

from .conftest import PYTHON, ROOT, child_env, mode_bits_popen

# real trainer processes, seconds each: CI runs them; the developer loop (-m "not slow") leaves them out
pytestmark = pytest.mark.slow

FAULT_TRAINER = textwrap.dedent(r'''
    """usage: python fault_trainer.py RUN_DIR DATA FAULT   (FAULT: efbig, efbig-final, enospc or eacces)"""
    import json, os, re, resource, shutil, signal, subprocess, sys, threading, time
    from pathlib import Path

    run_dir, data, fault = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    checkpoints = run_dir / "checkpoints"
    events_path = str(run_dir / "events.jsonl")
    filler = checkpoints / "filler.bin"  # a name the checkpoint manager never touches
    OWN_PT = re.compile(r"step-\d{8}\.pt|best\.pt|final\.pt")


    def say(text):
        print(f"injector: {text}", flush=True)


    def failures():
        """The checkpoint_failed events so far."""
        try:
            lines = (run_dir / "events.jsonl").read_text().splitlines()
        except OSError:
            return []
        return [json.loads(line) for line in lines if '"checkpoint_failed"' in line]


    def wait_until(predicate):
        while not predicate():
            time.sleep(0.002)


    def first_commit():
        wait_until(lambda: any(checkpoints.glob("step-*.json")))


    # --- EFBIG ----------------------------------------------------------------------------
    if fault.startswith("efbig"):
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit fail with EFBIG instead


    def file_too_large():
        soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
        first_commit()
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, hard))
        say("RLIMIT_FSIZE lowered to 64 KiB")
        wait_until(lambda: len(failures()) >= 2)
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        say("RLIMIT_FSIZE restored")


    def final_too_large():
        """EFBIG at the final save only: every earlier save commits."""
        armed["action"] = lambda _name: (resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, resource.RLIM_INFINITY)),
                                   say("RLIMIT_FSIZE lowered to 64 KiB at the final save"))
        armed["pattern"] = re.compile(r"\.tmp-final\.pt\.")


    # --- EACCES ---------------------------------------------------------------------------
    def permission_denied():
        first_commit()
        checkpoints.chmod(0o555)
        say("checkpoints/ made read-only (0o555)")
        wait_until(lambda: len(failures()) >= 2)
        checkpoints.chmod(0o755)
        say("checkpoints/ writable again (0o755)")


    # --- ENOSPC ---------------------------------------------------------------------------
    armed = {"pattern": None, "action": None}


    def fill(leave):
        """Grow the filler until `leave` bytes of the file system are free, or it is full."""
        st = os.statvfs(checkpoints)
        todo = st.f_bavail * st.f_frsize - leave
        with open(filler, "ab", buffering=0) as handle:
            try:
                while todo > 0:
                    todo -= handle.write(bytes(min(todo, 1 << 16)))
            except OSError:
                pass  # full
        st = os.statvfs(checkpoints)
        return st.f_bavail * st.f_frsize


    def fill_when_opened(pattern, leave):
        """Fill the disk when the trainer next opens a file whose name matches `pattern`."""
        armed["action"] = lambda name: say(f"disk filled as the trainer opened {name}: {fill(leave)} bytes free")
        armed["pattern"] = re.compile(pattern)


    def disk_full():
        first_commit()
        say(f"disk filled before a save: {fill(64 << 10)} bytes free")
        wait_until(lambda: any("bytes free" in e["error"] for e in failures()))
        filler.unlink()
        say("filler removed: the free-space check refused a save")
        wait_until(lambda: (checkpoints / "best.json").exists())
        fill_when_opened(r"\.tmp-best\.pt\.", 16 << 10)
        # wait for the failure this fault causes, not any failure: the next periodic save may be
        # refused by the free-space check first, while the disk is still full
        wait_until(lambda: kernel_said_full(lambda error: error.startswith("best.pt:")))
        fill_when_opened(r"\.tmp-step-\d{8}\.json\.", 0)
        filler.unlink()
        say("filler removed: a best.pt write ran out of space")
        wait_until(lambda: kernel_said_full(lambda error: error.startswith("step-") and ".json" in error))
        filler.unlink()
        say("filler removed: a manifest write ran out of space")


    def kernel_said_full(about):
        """Whether a save failed with the kernel's ENOSPC, in an error `about` accepts."""
        return any("No space left on device" in e["error"] and about(e["error"]) for e in failures())


    def on_open(event, args):
        """Audit hook: fill the disk at the armed open; check the folder at the trainer's events."""
        if event != "open" or not isinstance(args[0], (str, bytes, os.PathLike)):
            return
        path = os.fsdecode(args[0])
        pattern = armed["pattern"]
        if pattern is not None and pattern.match(os.path.basename(path)):
            armed["pattern"] = None
            armed["action"](os.path.basename(path))
        elif path == events_path and threading.current_thread() is threading.main_thread():
            # the trainer is between saves here: nothing half-written may be in the folder
            names = set(os.listdir(checkpoints))
            bad = sorted(n for n in names if n.startswith(".tmp-") or
                         (OWN_PT.fullmatch(n) and n[:-3] + ".json" not in names))
            if bad:
                with open(run_dir / "violations.txt", "a") as out:
                    out.write(f"{bad}\n")


    if fault == "enospc":
        checkpoints.mkdir(parents=True)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(checkpoints)], check=True)
    sys.addaudithook(on_open)
    injector = {"efbig": file_too_large, "efbig-final": final_too_large, "eacces": permission_denied,
                "enospc": disk_full}[fault]
    threading.Thread(target=injector, daemon=True).start()
    from magvit.cli import main
    try:
        main(["train", "--data", data, "--run-dir", str(run_dir), "--config", "magvit/configs/tiny.yaml",
              "--checkpoint-every", "2steps", "--epochs", "4"])
    finally:
        if fault == "enospc":  # the tmpfs vanishes with this mount namespace
            shutil.copytree(checkpoints, run_dir / "checkpoints.after", symlinks=True)
''')

TRAIN_TIMEOUT_S = 300


def _events(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "events.jsonl").read_text().splitlines() if line.strip()]


def _periodic_attempts(events: list[dict]) -> list[int]:
    """The steps of the periodic saves tried, committed or failed, in order."""
    steps = []
    for event in events:
        if event["event"] == "checkpoint_saved" and event["kind"] == "periodic":
            steps.append(event["step"])
        elif event["event"] == "checkpoint_failed" and event["error"].startswith("step-"):
            steps.append(int(event["error"][len("step-"):][:8]))
    return steps


def _train_with_fault(scratch: Path, data: Path, fault: str, prefix: tuple[str, ...] = (), expect_exit: int = 0,
                      **popen: object) -> tuple[Path, str]:
    """Run FAULT_TRAINER in scratch/run; return the run directory and the trainer's output."""
    script = scratch / "fault_trainer.py"
    script.write_text(FAULT_TRAINER, encoding="utf-8")
    run = scratch / "run"
    done = subprocess.run([*prefix, PYTHON, str(script), str(run), str(data), fault], cwd=ROOT,
                          capture_output=True, text=True, timeout=TRAIN_TIMEOUT_S, **popen)
    output = done.stdout + done.stderr
    assert done.returncode == expect_exit, output
    return run, output


def _assert_failed_loudly_then_recovered(run: Path, checkpoints: Path, output: str, error: str,
                                         min_failures: int) -> list[dict]:
    """The shared verdict: warned, recorded, retried and succeeded; nothing half-written anywhere."""
    # loud: the trainer said so on its output ...
    assert "warning: checkpoint save failed" in output and error in output, output
    # ... the events log records each failure, then saves succeed again at the next intervals
    events = _events(run)
    names = [e["event"] for e in events]
    failed = [e for e in events if e["event"] == "checkpoint_failed"]
    assert len(failed) >= min_failures, names
    assert any(error in e["error"] for e in failed), failed
    last_failure = max(i for i, n in enumerate(names) if n == "checkpoint_failed")
    # a failed periodic save is retried at the next interval (2 steps), not at every batch
    periodic = _periodic_attempts(events)
    assert all(later - earlier >= 2 for earlier, later in zip(periodic, periodic[1:])), periodic
    assert "checkpoint_saved" in names[last_failure:], "no save succeeded after the failures"
    assert names[-1] == "run_end" and events[-1]["status"] == "finished"
    # ... and the progress files say a save failed (and that a later one succeeded)
    progress = json.loads((run / "progress.json").read_text())
    assert progress["checkpoint_failures"] >= min_failures
    assert progress["last_checkpoint_error"]["step"] < progress["last_checkpoint"]["step"]
    assert "WARNING: checkpoint save FAILED" in (run / "PROGRESS.txt").read_text()

    # at every event the trainer wrote, nothing half-written was in the folder (the script's audit hook)
    assert not (run / "violations.txt").exists(), (run / "violations.txt").read_text()
    # and at the end: no temp files, every .pt committed and intact, no failed save under a final name
    files = sorted(p.name for p in checkpoints.iterdir())
    assert not [f for f in files if f.startswith(".tmp-")], files
    manager = CheckpointManager(checkpoints)
    for pt in checkpoints.glob("*.pt"):
        assert pt.with_suffix(".json").exists(), f"{pt.name} carries a final name without a manifest"
        manager.verify(pt)
    saved = {e["file"] for e in events if e["event"] == "checkpoint_saved"}
    failed_files = {e["error"].split(":")[0] for e in failed}
    assert not (failed_files - saved) & set(files), (failed_files, files)
    return failed


def test_checkpoint_write_failure_warns_and_retries_at_the_next_interval(tmp_path: Path, tiny_data: Path) -> None:
    run, output = _train_with_fault(tmp_path, tiny_data, "efbig", env=child_env())
    assert "injector: RLIMIT_FSIZE restored" in output, output
    _assert_failed_loudly_then_recovered(run, run / "checkpoints", output, "File too large", min_failures=2)


def test_a_failed_final_save_stops_with_a_clear_error_and_the_same_command_finishes(tmp_path: Path,
                                                                                 tiny_data: Path) -> None:
    """There is no next interval after the final save: the run must not call itself finished."""
    run, output = _train_with_fault(tmp_path, tiny_data, "efbig-final", expect_exit=4, env=child_env())
    assert "injector: RLIMIT_FSIZE lowered to 64 KiB at the final save" in output, output
    assert "error: the final checkpoint could not be saved" in output and "File too large" in output, output
    assert "Finished" not in output, output
    events = _events(run)
    assert events[-1]["event"] == "run_end" and events[-1]["status"] == "failed", events[-1]
    assert "final.pt" in events[-1]["error"] and "File too large" in events[-1]["error"], events[-1]
    assert json.loads((run / "progress.json").read_text())["state"] == "failed"
    assert not (run / "checkpoints" / "final.pt").exists() and not (run / "checkpoints" / "final.json").exists()
    status = subprocess.run([PYTHON, "-m", "magvit", "status", str(run)], cwd=ROOT, capture_output=True, text=True,
                            env=child_env(), timeout=60)
    assert status.returncode == 13, status.stdout + status.stderr  # failed

    # with the disk healthy again, the same command resumes from the newest checkpoint and finishes
    again = subprocess.run([PYTHON, "-m", "magvit", "train", "--data", str(tiny_data), "--run-dir", str(run),
                            "--config", "magvit/configs/tiny.yaml", "--checkpoint-every", "2steps", "--epochs", "4"],
                           cwd=ROOT, capture_output=True, text=True, env=child_env(), timeout=TRAIN_TIMEOUT_S)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "resuming" in again.stdout and "Finished" in again.stdout, again.stdout
    assert CheckpointManager(run / "checkpoints").verify(run / "checkpoints" / "final.pt").kind == "final"


@pytest.fixture(scope="session")
def mount_namespace(tmp_path_factory) -> tuple[str, ...]:
    """The command prefix that runs a process in its own mount namespace where it may mount a tmpfs."""
    target = tmp_path_factory.mktemp("mount-probe")
    reasons = []
    for prefix in (("unshare", "-rm"), ("unshare", "-m")):
        try:
            probe = subprocess.run([*prefix, "sh", "-c", 'mount -t tmpfs -o size=64k tmpfs "$1"', "sh", str(target)],
                                   capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired) as exc:
            reasons.append(f"{' '.join(prefix)}: {exc}")
            continue
        if probe.returncode == 0:
            return prefix
        reasons.append(f"{' '.join(prefix)}: {probe.stderr.strip() or probe.returncode}")
    pytest.skip("no mount namespace with a tmpfs here (needs user namespaces or CAP_SYS_ADMIN): " + "; ".join(reasons))


def test_a_real_full_disk_at_the_checkpoint_write_warns_and_retries(tmp_path: Path, tiny_data: Path,
                                                                    mount_namespace: tuple[str, ...]) -> None:
    run, output = _train_with_fault(tmp_path, tiny_data, "enospc", prefix=mount_namespace, env=child_env())
    assert "injector: filler removed: a manifest write ran out of space" in output, output
    failed = _assert_failed_loudly_then_recovered(run, run / "checkpoints.after", output, "No space left on device",
                                                  min_failures=3)
    errors = [e["error"] for e in failed]
    # foreseen by the free-space check, before anything was written ...
    assert any("bytes free" in e for e in errors), errors
    # ... and raised by the kernel: in the middle of a best.pt (a best.pt was committed before) ...
    assert any(e.startswith("best.pt:") and "No space left on device" in e for e in errors), errors
    # ... and at a periodic save's manifest, after its .pt was written
    assert "as the trainer opened .tmp-step-" in output and ".json." in output, output
    assert any(e.startswith("step-") and "No space left on device" in e and ".json" in e for e in errors), errors


def test_permission_denied_at_the_checkpoint_write_warns_and_retries(tmp_path: Path, tiny_data: Path) -> None:
    popen = mode_bits_popen(tmp_path)
    if popen is None:
        pytest.skip("root here cannot be made to obey file permission bits (no CAP_SETPCAP to drop capabilities)")
    run, output = _train_with_fault(tmp_path, tiny_data, "eacces", **popen)
    assert "injector: checkpoints/ writable again" in output, output
    _assert_failed_loudly_then_recovered(run, run / "checkpoints", output, "Permission denied", min_failures=2)


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
