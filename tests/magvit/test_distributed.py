"""Distributed training under torchrun (gloo, two CPU processes): real torchrun subprocesses and real SIGKILLs."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
import yaml
from click.testing import CliRunner

from magvit import distributed
from magvit.distributed import Dist, DistributedError
from magvit.rundir import LOCK_FILE

try:
    from train_helpers import (
        LONG, REPO, TINY, _env, assert_same_training, events, final_checkpoint, logged_steps, manifests,
        of_kind, run_train,
    )  # fmt: skip
except ImportError:  # tests/magvit became a package
    from .train_helpers import (  # type: ignore[no-redef]
        LONG, REPO, TINY, _env, assert_same_training, events, final_checkpoint, logged_steps, manifests,
        of_kind, run_train,
    )  # fmt: skip

# real trainer processes, seconds each: CI runs them; the developer loop (-m "not slow") leaves them out
pytestmark = pytest.mark.slow

# the tiny config on 2 processes: 18 training clips, a global batch of 2 x 4 = 8, so 3 steps an epoch
STEPS_PER_EPOCH_2 = 3
STEPS_PER_EPOCH_1 = 5


def torchrun_cmd(data: Path, run_dir: Path, *extra: str, nproc: int = 2, max_restarts: int = 0,
                 config: Path = TINY) -> list[str]:
    return [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={nproc}",
            f"--max-restarts={max_restarts}", "--monitor-interval=0.1", "-m", "magvit", "train",
            "--data", str(data), "--run-dir", str(run_dir), "--config", str(config), *extra]  # fmt: skip


def run_torchrun(data: Path, run_dir: Path, *extra: str, config: Path = TINY,
                 timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run(torchrun_cmd(data, run_dir, *extra, config=config), capture_output=True, text=True,
                          cwd=REPO, env=_env(), timeout=timeout, start_new_session=True)  # fmt: skip


class TorchRun:
    """torchrun in the background, in its own process group, output to a file."""

    def __init__(self, argv: list[str], out: Path) -> None:
        self.out_path = out
        self._out = open(out, "w")
        self.proc = subprocess.Popen(argv, stdout=self._out, stderr=subprocess.STDOUT, cwd=REPO, env=_env(),
                                     start_new_session=True)  # fmt: skip

    def wait_for(self, predicate, what: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"torchrun ended ({self.proc.returncode}) or timed out before {what}:\n"
                                     f"{self.output()}")
            time.sleep(0.01)

    def wait(self, timeout: float = 240) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            self._out.close()

    def stop(self) -> None:
        """SIGKILL torchrun's process group; its workers die with it (PR_SET_PDEATHSIG)."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.wait()

    def output(self) -> str:
        if not self._out.closed:
            self._out.flush()
        return self.out_path.read_text(errors="replace")


@pytest.fixture(scope="module")
def fast_beat(tmp_path_factory):
    """The tiny config with a heartbeat every 0.05 s: a single-process tiny run lasts about half a second
    here, and a 0.2 s beat left a single record on a slower machine (CI), which is no measured period."""
    config = yaml.safe_load(TINY.read_text())
    config["train"]["heartbeat_interval_s"] = 0.05  # an execution key: resuming with TINY is allowed
    path = tmp_path_factory.mktemp("config") / "tiny-fast-beat.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.fixture(scope="module")
def two_proc_run(tmp_path_factory, data, fast_beat):
    """The tiny config on 2 processes, uninterrupted, saving every 4 steps."""
    run_dir = tmp_path_factory.mktemp("ddp") / "run"
    result = run_torchrun(data, run_dir, "--checkpoint-every", "4steps", config=fast_beat)
    assert result.returncode == 0, result.stdout + result.stderr
    return run_dir, result


@pytest.fixture(scope="module")
def long_reference(tmp_path_factory, data):
    """An uninterrupted 2-process run of the long tiny config (the elastic test's reference)."""
    run_dir = tmp_path_factory.mktemp("ddp-long") / "run"
    result = run_torchrun(data, run_dir, *LONG, "--checkpoint-every", "10steps")
    assert result.returncode == 0, result.stdout + result.stderr
    return final_checkpoint(run_dir)


# --- pure pieces -------------------------------------------------------------------------------


def test_single_process_without_torchrun_environment():
    assert distributed.from_env({}) == Dist(0, 1, 0)
    assert not Dist().enabled and Dist().is_main
    assert distributed.from_env({"RANK": "1", "WORLD_SIZE": "2", "LOCAL_RANK": "1"}) == Dist(1, 2, 1)


@pytest.mark.parametrize("env, named", [({"RANK": "x"}, "RANK"), ({"WORLD_SIZE": "two"}, "WORLD_SIZE"),
                                        ({"RANK": "2", "WORLD_SIZE": "2"}, "RANK=2")])  # fmt: skip
def test_inconsistent_torchrun_environment_is_named(env, named):
    with pytest.raises(DistributedError, match=named):
        distributed.from_env(env)


def test_ranks_take_disjoint_chunks_of_one_global_batch_in_order():
    batch = torch.arange(7)
    chunks = [distributed.shard(batch, Dist(r, 3)) for r in range(3)]
    assert torch.equal(torch.cat(chunks), batch) and [len(c) for c in chunks] == [3, 2, 2]
    assert distributed.shard(torch.arange(1), Dist(1, 2)).numel() == 0  # smaller than the group: rank 1 idles
    assert torch.equal(distributed.shard(batch, Dist()), batch)


def test_collectives_are_identities_in_a_single_process():
    assert distributed.agree(main_says=True, any_says=False, dist=Dist()) == (True, False)
    assert distributed.weighted_mean({"train": 0.5}, 4, 4, Dist()) == {"train": 0.5}
    assert distributed.broadcast_object("x", Dist()) == "x" and distributed.gather_objects(1, Dist()) == [1]


# --- a 2-process run ---------------------------------------------------------------------------


def test_two_processes_train_one_run_rank0_writes(two_proc_run):
    run_dir, result = two_proc_run
    evs = events(run_dir)
    (start,) = of_kind(evs, "run_start")
    assert start["world_size"] == 2
    assert of_kind(evs, "run_end")[-1]["status"] == "finished"
    total = 3 * STEPS_PER_EPOCH_2
    assert logged_steps((run_dir / "train.log").read_text()) == list(range(1, total + 1))  # once, not per rank
    saved = [(e["file"], e["step"]) for e in of_kind(evs, "checkpoint_saved")]
    assert len(saved) == len(set(saved))
    final = final_checkpoint(run_dir)
    assert (final["step"], final["world_size"], final["global_batch_size"]) == (total, 2, 8)
    assert len(final["rng_per_rank"]) == 2
    assert json.loads((run_dir / "progress.json").read_text())["state"] == "finished"


def test_each_rank_writes_its_heartbeat_file(two_proc_run):
    run_dir, _ = two_proc_run
    beats = [json.loads((run_dir / "heartbeats" / f"rank-{r}.json").read_text()) for r in range(2)]
    assert [b["rank"] for b in beats] == [0, 1] and {b["world_size"] for b in beats} == {2}
    assert beats[0]["pid"] != beats[1]["pid"]
    assert {b["state"] for b in beats} == {"stopped"} and {b["step"] for b in beats} == {3 * STEPS_PER_EPOCH_2}
    assert json.loads((run_dir / "progress.json").read_text())["pid"] == beats[0]["pid"]


def test_audit_gives_a_ddp_run_the_verdicts_of_a_single_process_run(tmp_path, data, two_proc_run, fast_beat):
    from auditor.cli import main as audit

    single = tmp_path / "single"
    result = run_train(data, single, "--checkpoint-every", "4steps", config=fast_beat)
    assert result.returncode == 0, result.stdout + result.stderr

    def verdicts(run_dir: Path) -> dict:
        args = ["check", "--project", str(REPO / "tests" / "fixtures" / "seed_project"), "--run", str(run_dir),
                "--format", "json", "--date", "2026-01-25"]  # fmt: skip
        out = CliRunner().invoke(audit, args)
        assert out.exit_code in (0, 1), out.output
        return {rule["id"]: {col: cell["verdict"] for col, cell in rule["cells"].items()}
                for rule in json.loads(out.output)["rules"]}

    ddp = verdicts(two_proc_run[0])
    assert ddp == verdicts(single)
    assert ddp["heartbeat"]["working"] == ddp["periodic-checkpoints"]["working"] == "yes"


def run_data(run_dir: Path) -> dict[Path, tuple[int, bytes | None]]:
    """Every path of the run directory but the lock file: mtime, and the bytes of each file."""
    return {p: (p.stat().st_mtime_ns, p.read_bytes() if p.is_file() else None)
            for p in run_dir.rglob("*") if p != run_dir / LOCK_FILE}  # fmt: skip


def assert_lock_released_by_the_dead(run_dir: Path) -> None:
    """The lock record says released, its pid is gone, and the flock is free to take."""
    record = json.loads((run_dir / LOCK_FILE).read_text())
    assert record["state"] == "released", record
    with pytest.raises(ProcessLookupError):
        os.kill(record["pid"], 0)
    fd = os.open(run_dir / LOCK_FILE, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # BlockingIOError if anything still held it
    finally:
        os.close(fd)


def test_a_refusal_on_rank_0_stops_every_rank_without_writing(tmp_path, data, two_proc_run):
    # The refusal reads the run directory, so it holds the lock while it does and its record names it meanwhile
    # (docs/run-directory.md "The lock"): the lock file is the lock's bookkeeping and changes; the run's data may not.
    run_dir = tmp_path / "run"
    shutil.copytree(two_proc_run[0], run_dir)
    before = run_data(run_dir)
    result = run_torchrun(data, run_dir, "--resume", "never")
    assert result.returncode != 0
    assert "rank 0 refused to start: --resume never" in result.stderr  # rank 1 heard it, instead of hanging
    assert run_data(run_dir) == before
    assert_lock_released_by_the_dead(run_dir)


def test_status_names_a_frozen_rank_while_rank_0_keeps_beating(tmp_path, data):
    """Rank 1 stopped with SIGSTOP: rank 0 waits in the all-reduce, its heartbeat thread keeps progress.json fresh."""
    from magvit.status import read_status

    run_dir = tmp_path / "run"
    run = TorchRun(torchrun_cmd(data, run_dir, *LONG, "--checkpoint-every", "1steps"), tmp_path / "torchrun.out")
    try:
        run.wait_for((run_dir / "checkpoints" / "step-00000002.json").exists, "the step-2 checkpoint")
        assert read_status(run_dir).state == "running"
        frozen = json.loads((run_dir / "heartbeats" / "rank-1.json").read_text())["pid"]
        os.kill(frozen, signal.SIGSTOP)
        run.wait_for(lambda: read_status(run_dir).state == "stalled", "a stalled verdict", timeout=30)
        status = read_status(run_dir)
        assert "rank 1" in status.reason and status.exit_code == 11
        assert [r["rank"] for r in status.ranks] == [0, 1] and not status.ranks[1]["fresh"]
        progress = json.loads((run_dir / "progress.json").read_text())
        assert time.time() - progress["heartbeat_time"] < 3 * progress["heartbeat_interval_s"]  # rank 0 beats on
    finally:
        run.stop()


# --- resume across world sizes -----------------------------------------------------------------


def rewind(run_dir: Path, copy: Path, step: int) -> Path:
    """A copy of `run_dir` as it was when the checkpoint at `step` was the newest (later manifests dropped)."""
    shutil.copytree(run_dir, copy)
    for manifest in manifests(copy):
        if manifest["step"] > step or manifest["kind"] == "best":
            (copy / "checkpoints" / manifest["file"]).with_suffix(".json").unlink()
    return copy


@pytest.mark.slow
def test_two_process_checkpoint_resumes_on_one(tmp_path, data, two_proc_run):
    # step 4 is mid-epoch 2 with 8 of its 18 clips consumed; one process takes 4 a step from there
    run_dir = rewind(two_proc_run[0], tmp_path / "run", 4)
    result = run_train(data, run_dir)
    assert result.returncode == 0, result.stdout + result.stderr
    (resumed,) = of_kind(events(run_dir), "resumed_from")
    assert (resumed["step"], resumed["epoch"], resumed["samples_in_epoch"]) == (4, 1, 8)
    assert (resumed["saved_world_size"], resumed["world_size"]) == (2, 1)
    assert "written by 2 process(es), this run has 1" in result.stdout
    assert logged_steps(result.stdout)[0] == 5
    assert final_checkpoint(run_dir)["step"] == 4 + 3 + STEPS_PER_EPOCH_1  # ceil(10 / 4) then a full epoch


@pytest.mark.slow
def test_one_process_checkpoint_resumes_on_two(tmp_path, data):
    single = tmp_path / "single"
    assert run_train(data, single, "--checkpoint-every", "7steps").returncode == 0
    # step 7 is mid-epoch 2 with 8 clips consumed; two processes take 8 a step from there
    run_dir = rewind(single, tmp_path / "run", 7)
    result = run_torchrun(data, run_dir)
    assert result.returncode == 0, result.stdout + result.stderr
    (resumed,) = of_kind(events(run_dir), "resumed_from")
    assert (resumed["step"], resumed["epoch"], resumed["samples_in_epoch"]) == (7, 1, 8)
    assert (resumed["saved_world_size"], resumed["world_size"]) == (1, 2)
    assert logged_steps((run_dir / "train.log").read_text()).count(8) == 2  # the first session's and this one's
    assert final_checkpoint(run_dir)["step"] == 7 + 2 + STEPS_PER_EPOCH_2  # ceil(10 / 8) then a full epoch


# --- elastic restart ---------------------------------------------------------------------------


@pytest.mark.slow
def test_sigkilled_worker_restarts_the_group_which_resumes_bit_exact(tmp_path, data, long_reference):
    run_dir = tmp_path / "run"
    argv = torchrun_cmd(data, run_dir, *LONG, "--checkpoint-every", "1steps", max_restarts=3)
    run = TorchRun(argv, tmp_path / "torchrun.out")
    try:
        run.wait_for((run_dir / "checkpoints" / "step-00000003.json").exists, "the step-3 checkpoint")
        victim = json.loads((run_dir / "heartbeats" / "rank-1.json").read_text())["pid"]
        os.kill(victim, signal.SIGKILL)
        assert run.wait() == 0, run.output()
    finally:
        run.stop()
    evs = events(run_dir)
    starts, (resumed,) = of_kind(evs, "run_start"), of_kind(evs, "resumed_from")
    assert len(starts) == 2 and {s["world_size"] for s in starts} == {2}
    assert resumed["step"] >= 3 and resumed["world_size"] == resumed["saved_world_size"] == 2
    assert of_kind(evs, "run_end")[-1]["status"] == "finished"
    assert json.loads((run_dir / "heartbeats" / "rank-1.json").read_text())["pid"] != victim
    assert_same_training(final_checkpoint(run_dir), long_reference)


# --- the drill drives torchrun -----------------------------------------------------------------


@pytest.mark.slow
def test_drill_kills_torchrun_and_its_workers_and_sees_them_resume(tmp_path):
    run_dir = tmp_path / "run"
    command = ("{python} -m torch.distributed.run --standalone --nproc-per-node=2 --monitor-interval=0.1 -m magvit "
               "train --data {data} --run-dir {run_dir} --config magvit/configs/tiny.yaml --checkpoint-every 2steps "
               "--epochs 12")  # fmt: skip
    prepare = "{python} -m magvit data make --out {data} --n 24 --frames 4 --size 16"
    result = subprocess.run([sys.executable, "-m", "auditor", "drill", "--kills", "2", "--no-compare-final",
                             "--run-dir", str(run_dir), "--prepare", prepare, "--command", command],
                            capture_output=True, text=True, cwd=REPO, env=_env(), timeout=300)  # fmt: skip
    drill = json.loads((run_dir / "drill.json").read_text())
    verdicts = {c["id"]: c["verdict"] for c in drill["checks"]}
    assert {k: v for k, v in verdicts.items() if k != "resumed_from_newest"} == {
        "lost_work_within_interval": "pass", "no_corrupt_checkpoint_loaded": "pass", "final_weights_equal": "skip",
        "run_finished": "pass"}, result.stdout + result.stderr  # fmt: skip
    # the drill never counts best.pt as a resume point, the trainer does when it is the newest (a kill
    # between the best save and the epoch-end save): what matters is that no restart went backwards
    for kill, session in zip(drill["kills"], drill["sessions"][1:]):
        valid = {c["file"].split("/")[-1]: c["position"] for c in kill["on_disk"] if c["status"] == "valid"}
        newest = max(pos for name, pos in valid.items() if not name.startswith("best"))
        assert session["resumed_from"]["file"] in valid and session["resumed_from"]["position"] >= newest
    starts = of_kind(events(run_dir), "run_start")
    assert len(starts) == 3 and len(of_kind(events(run_dir), "resumed_from")) == 2
    # every worker of a killed session died with it: none of their pids runs any more
    for pid in {s["pid"] for s in starts[:2]}:
        assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split(")")[-1][:3]


# --- the audit of a killed and elastically restarted run ----------------------------------------


def _every(seconds: float, predicate):
    """`predicate`, evaluated at most once per `seconds` (reading a growing events.jsonl every 10 ms costs a core)."""
    last = [float("-inf"), False]

    def check() -> bool:
        if time.monotonic() - last[0] >= seconds:
            last[:] = [time.monotonic(), predicate()]
        return last[1]

    return check


@pytest.mark.slow
def test_a_sigkilled_and_elastically_restarted_run_is_compliant_on_every_working_cell(tmp_path, data):
    """Issue 9: `audit check` on a two-process run whose worker was SIGKILLed and which torchrun brought
    back is compliant. The Working? column is asserted here; the Tested? column of the same audit reads
    the JUnit file of the pytest run this test belongs to, which exists only once the run is over: with
    MAGVIT_KEEP_ELASTIC_RUN set, the run is kept there and `.ci/run` audits it after pytest (full matrix,
    exit 0 required).

    A minute's interval needs two saves a minute apart in one session (the interval rule measures gaps
    within sessions): the worker dies after the second, about two minutes in; the restarted group
    resumes by itself and is then stopped with SIGTERM like a preempted job."""
    config = yaml.safe_load(TINY.read_text())
    config["train"]["log_every"] = 50  # thousands of tiny steps: keep train.log small
    config_path = tmp_path / "tiny-log50.yaml"
    config_path.write_text(yaml.safe_dump(config))
    run_dir = tmp_path / "run"

    def count(event: str, **fields) -> int:
        path = run_dir / "events.jsonl"
        evs = events(run_dir) if path.exists() else []
        return sum(e["event"] == event and all(e.get(k) == v for k, v in fields.items()) for e in evs)

    argv = torchrun_cmd(data, run_dir, "--epochs", "100000", "--checkpoint-every", "1m", max_restarts=3,
                        config=config_path)  # fmt: skip
    run = TorchRun(argv, tmp_path / "torchrun.out")
    try:
        run.wait_for(_every(0.5, lambda: count("checkpoint_saved", kind="periodic") >= 2),
                     "two periodic checkpoints", timeout=240)  # fmt: skip
        victim = json.loads((run_dir / "heartbeats" / "rank-1.json").read_text())["pid"]
        os.kill(victim, signal.SIGKILL)
        run.wait_for(_every(0.5, lambda: count("resumed_from") >= 1 and count("heartbeat") >= 1),
                     "the restarted group resuming", timeout=120)  # fmt: skip
        time.sleep(2)  # a few batches and heartbeats of the restarted session
        os.kill(run.proc.pid, signal.SIGTERM)  # torchrun passes it to its workers: a preemption
        run.wait(timeout=90)
    finally:
        run.stop()

    from auditor.cli import main as audit

    out = CliRunner().invoke(audit, ["check", "--project", str(REPO), "--run", str(run_dir), "--format", "json"])
    assert out.exit_code in (0, 1), out.output
    rules = json.loads(out.output)["rules"]
    working = {r["id"]: r["cells"]["working"]["verdict"] for r in rules}
    assert working.pop("tdd-process") == "n/a"  # a process rule: no run can show it
    assert set(working.values()) == {"yes"}, {r["id"]: r["cells"]["working"]["summary"] for r in rules}
    evs = events(run_dir)
    assert len(of_kind(evs, "run_start")) >= 2 and {s["world_size"] for s in of_kind(evs, "run_start")} == {2}
    (resumed,) = of_kind(evs, "resumed_from")
    assert resumed["world_size"] == resumed["saved_world_size"] == 2 and resumed["step"] > 0
    keep = os.environ.get("MAGVIT_KEEP_ELASTIC_RUN")
    if keep:  # .ci/run audits the kept run once pytest has written the JUnit file: the full matrix
        kept = Path(keep) if Path(keep).is_absolute() else REPO / keep
        shutil.rmtree(kept, ignore_errors=True)
        shutil.copytree(run_dir, kept)
