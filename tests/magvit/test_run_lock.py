"""The run-directory lock (magvit.runlock): real processes hold it, real signals kill them.

One `magvit train` owns a run directory at a time. The lock is an `fcntl.flock` on
RUN_DIR/trainer.lock, a file that records the holder's pid, host and start time; the kernel
releases it when the holder dies, however it dies, so a restart takes over a dead holder's
lock and a second trainer on a live run is refused naming the holder.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from magvit.runlock import LOCK_FILE, RunLock, RunLockedError

try:
    from train_helpers import REPO, Trainer, _env, events, manifests, of_kind
except ImportError:  # tests/magvit became a package
    from .train_helpers import REPO, Trainer, _env, events, manifests, of_kind  # type: ignore[no-redef]

# a holder process: takes the lock, says so, then sleeps (optionally after starting a child
# that inherits every descriptor it may)
HOLDER = textwrap.dedent("""
    import subprocess, sys, time
    from magvit.runlock import RunLock
    lock = RunLock(sys.argv[1], wait_s=0)
    lock.acquire()
    if len(sys.argv) > 2:
        subprocess.Popen(["sleep", "60"], close_fds=False)
    print("locked", flush=True)
    time.sleep(60)
""")


class Holder:
    """A real process holding the lock of `run_dir`."""

    def __init__(self, run_dir: Path, *, with_child: bool = False) -> None:
        argv = [sys.executable, "-c", HOLDER, str(run_dir)] + (["child"] if with_child else [])
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, cwd=REPO, env=_env(),
                                     start_new_session=True)
        line = self.proc.stdout.readline()
        assert line.strip() == "locked", f"the holder did not take the lock: {line!r}"

    def sigkill(self, *, reap: bool = True) -> None:
        self.proc.send_signal(signal.SIGKILL)
        if reap:
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)


@pytest.fixture
def holder_factory():
    made: list[Holder] = []

    def make(run_dir: Path, **kw) -> Holder:
        made.append(Holder(run_dir, **kw))
        return made[-1]

    yield make
    for holder in made:
        holder.stop()


def _record(run_dir: Path) -> dict:
    return json.loads((run_dir / LOCK_FILE).read_text())


# --- the lock itself ------------------------------------------------------------------------


def test_the_lock_file_records_pid_host_and_start_time_and_is_released(tmp_path: Path) -> None:
    before = time.time()
    lock = RunLock(tmp_path, wait_s=0)
    assert lock.acquire() is None  # nobody held it before
    held = _record(tmp_path)
    assert held["pid"] == os.getpid() and held["host"] == socket.gethostname()
    assert held["state"] == "held" and before - 1 <= held["started_time"] <= time.time() + 1
    assert held["started_at"].endswith("Z")
    lock.release()
    released = _record(tmp_path)
    assert released["state"] == "released" and released["pid"] == os.getpid()
    # released: the next taker finds nobody to take over from
    again = RunLock(tmp_path, wait_s=0)
    assert again.acquire() is None
    again.release()


def test_a_second_lock_on_a_live_holders_run_dir_is_refused_naming_the_holder(tmp_path: Path, holder_factory) -> None:
    holder = holder_factory(tmp_path)
    started = time.monotonic()
    with pytest.raises(RunLockedError) as refused:
        RunLock(tmp_path, wait_s=0.5).acquire()
    waited = time.monotonic() - started
    assert refused.value.holder is not None and refused.value.holder.pid == holder.proc.pid
    message = str(refused.value)
    assert f"pid {holder.proc.pid}" in message and socket.gethostname() in message and str(tmp_path) in message
    assert 0.4 <= waited < 10, waited  # it waited for the holder to go, then gave up
    assert holder.proc.poll() is None  # and left the holder alone
    assert _record(tmp_path)["pid"] == holder.proc.pid  # the record is still the holder's


def test_a_lock_left_by_a_sigkilled_holder_is_taken_over(tmp_path: Path, holder_factory) -> None:
    holder = holder_factory(tmp_path)
    dead_pid = holder.proc.pid
    holder.sigkill()
    assert _record(tmp_path)["state"] == "held"  # the dead holder could not say it was done
    lock = RunLock(tmp_path, wait_s=0)
    previous = lock.acquire()
    assert previous is not None and previous.pid == dead_pid
    assert _record(tmp_path)["pid"] == os.getpid()
    lock.release()


def test_a_waiting_taker_gets_the_lock_once_the_holder_dies(tmp_path: Path, holder_factory) -> None:
    """A relaunch that starts before the old process is gone (a scheduler) waits for it instead of failing."""
    holder = holder_factory(tmp_path)
    killer = threading.Timer(0.5, holder.sigkill, kwargs={"reap": False})
    started = time.monotonic()
    killer.start()
    lock = RunLock(tmp_path, wait_s=20)
    previous = lock.acquire()
    waited = time.monotonic() - started
    killer.join()
    assert previous is not None and previous.pid == holder.proc.pid
    assert 0.4 <= waited < 20, waited
    lock.release()


def test_a_child_of_the_holder_does_not_keep_the_lock(tmp_path: Path, holder_factory) -> None:
    """The lock's descriptor is close-on-exec: a child the trainer starts (git, a shell) cannot inherit it."""
    holder = holder_factory(tmp_path, with_child=True)
    holder.sigkill()
    lock = RunLock(tmp_path, wait_s=0)
    assert lock.acquire() is not None  # the sleeping grandchild does not hold it
    lock.release()


def test_an_unreadable_lock_record_still_locks_and_is_named_unknown(tmp_path: Path, holder_factory) -> None:
    holder_factory(tmp_path)
    (tmp_path / LOCK_FILE).write_bytes(b"\x00\xff not json")  # same inode: the holder's lock stands
    with pytest.raises(RunLockedError) as refused:
        RunLock(tmp_path, wait_s=0).acquire()
    assert refused.value.holder is None
    assert "could not be read" in str(refused.value)


# --- magvit train ---------------------------------------------------------------------------


@pytest.mark.slow  # a real trainer process
def test_two_trainers_on_one_run_dir_give_one_runner_and_one_exit_2(tmp_path: Path, data: Path) -> None:
    run_dir = tmp_path / "run"
    args = ("--epochs", "400", "--checkpoint-every", "2steps", "--lock-wait", "1")
    first, second = Trainer(data, run_dir, *args), Trainer(data, run_dir, *args)
    try:
        deadline = time.monotonic() + 120
        while first.proc.poll() is None and second.proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        loser, runner = (first, second) if first.proc.poll() is not None else (second, first)
        assert loser.wait(10) == 2, loser.output()
        runner.wait_for(lambda: len(manifests(run_dir)) >= 2, "two checkpoints of the runner")
        assert runner.proc.poll() is None, runner.output()
        out = loser.output()
        assert f"pid {runner.proc.pid}" in out and "error:" in out and "Traceback" not in out, out
        runner.signal(signal.SIGTERM)
        assert runner.wait(60) == 143, runner.output()
    finally:
        first.kill(), second.kill()
    evs = events(run_dir)
    assert [e["pid"] for e in of_kind(evs, "run_start")] == [runner.proc.pid]
    assert not of_kind(evs, "checkpoint_failed")  # the loser deleted none of the runner's temp files
    assert _record(run_dir)["state"] == "released"


@pytest.mark.slow  # a real trainer process
def test_a_sigkilled_trainers_lock_is_taken_over_by_a_restart_racing_its_death(tmp_path: Path, data: Path) -> None:
    run_dir = tmp_path / "run"
    args = ("--epochs", "6", "--checkpoint-every", "2steps")
    killed = Trainer(data, run_dir, *args)
    try:
        killed.wait_for(lambda: len(manifests(run_dir)) >= 1, "a checkpoint")
        killed.proc.send_signal(signal.SIGKILL)
        restart = Trainer(data, run_dir, *args)  # before the killed process is reaped
    finally:
        assert killed.kill() == -signal.SIGKILL
    assert restart.wait(120) == 0, restart.output()
    out = restart.output()
    assert f"pid {killed.proc.pid}" in out and "no longer running" in out, out
    evs = events(run_dir)
    starts = of_kind(evs, "run_start")
    assert [e["pid"] for e in starts] == [killed.proc.pid, restart.proc.pid]
    assert len(of_kind(evs, "resumed_from")) == 1
    assert of_kind(evs, "run_end")[-1]["status"] == "finished"


def _torchrun(data: Path, run_dir: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2", "--max-restarts=0",
            "--monitor-interval=0.1", "-m", "magvit", "train", "--data", str(data), "--run-dir", str(run_dir),
            "--config", str(REPO / "magvit" / "configs" / "tiny.yaml"), *extra]  # fmt: skip


@pytest.mark.slow
def test_torchrun_ranks_share_their_jobs_lock_and_a_second_job_is_refused(tmp_path: Path, data: Path) -> None:
    run_dir = tmp_path / "run"
    out = (tmp_path / "job.out").open("w")
    job = subprocess.Popen(_torchrun(data, run_dir, "--epochs", "400", "--checkpoint-every", "2steps"), cwd=REPO,
                           env=_env(), stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        while len(manifests(run_dir)) < 1:
            assert job.poll() is None and time.monotonic() < deadline, (tmp_path / "job.out").read_text()
            time.sleep(0.05)
        rank0 = of_kind(events(run_dir), "run_start")[0]["pid"]
        assert _record(run_dir)["pid"] == rank0 and _record(run_dir)["world_size"] == 2
        second = subprocess.run(_torchrun(data, run_dir, "--epochs", "400", "--lock-wait", "0.5"), cwd=REPO,
                                env=_env(), capture_output=True, text=True, timeout=180)
        text = second.stdout + second.stderr
        assert second.returncode != 0, text
        assert f"pid {rank0}" in text and "rank 0 refused to start" in text, text  # rank 1 says so too
        single = subprocess.run([sys.executable, "-m", "magvit", "train", "--data", str(data), "--run-dir",
                                 str(run_dir), "--epochs", "400", "--lock-wait", "0"], cwd=REPO, env=_env(),
                                capture_output=True, text=True, timeout=120)  # fmt: skip
        assert single.returncode == 2, single.stdout + single.stderr
        assert f"pid {rank0}" in single.stderr and "rank 0 of a 2-process torchrun job" in single.stderr
        assert job.poll() is None, (tmp_path / "job.out").read_text()
    finally:
        if job.poll() is None:
            os.killpg(job.pid, signal.SIGTERM)  # torchrun passes it on: a preemption
        job.wait(timeout=120)
        out.close()
    assert [e["pid"] for e in of_kind(events(run_dir), "run_start")] == [rank0]
    assert not of_kind(events(run_dir), "checkpoint_failed")
