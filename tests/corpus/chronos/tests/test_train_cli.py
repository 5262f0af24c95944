"""End-to-end runs of `python -m chronos train` on short schedules."""
import json
import os
import signal
import subprocess
import time

from conftest import ROOT, train_command

FAST = ("--step-delay", "0s", "--status-every", "0.5s")


def read_log(run_dir):
    with open(run_dir / "train.jsonl") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def test_checkpoints_are_written_while_training(tmp_path, run_train):
    run_dir = tmp_path / "run"
    result = run_train(run_dir, "--steps", "80", "--checkpoint-every", "0.5s", *FAST)
    assert result.returncode == 0, result.stderr

    names = sorted(p.name for p in (run_dir / "checkpoints").glob("step_*.pt"))
    assert len(names) >= 2
    assert names[-1] == "step_000080.pt"
    saves = [r for r in read_log(run_dir) if r["msg"] == "saved checkpoint"]
    assert [r["reason"] for r in saves].count("interval") >= 1


def test_status_file_describes_the_finished_run(tmp_path, run_train):
    run_dir = tmp_path / "run"
    result = run_train(run_dir, "--steps", "30", *FAST)
    assert result.returncode == 0, result.stderr

    status = json.loads((run_dir / "status.json").read_text())
    assert status["state"] == "finished"
    assert status["step"] == status["total_steps"] == 30
    assert isinstance(status["loss"], float)


def test_log_has_a_line_every_ten_steps(tmp_path, run_train):
    run_dir = tmp_path / "run"
    result = run_train(run_dir, "--steps", "50", *FAST)
    assert result.returncode == 0, result.stderr

    steps = [r["step"] for r in read_log(run_dir) if r["msg"] == "train"]
    assert steps == [10, 20, 30, 40, 50]


def test_rerun_after_sigkill_continues_from_checkpoint(tmp_path, cli_env):
    run_dir = tmp_path / "run"
    cmd = train_command(run_dir, "--steps", "250", "--checkpoint-every", "1s", *FAST)

    proc = subprocess.Popen(cmd, env=cli_env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    try:
        while not list((run_dir / "checkpoints").glob("step_*.pt")):
            assert proc.poll() is None, "trainer exited before its first checkpoint"
            assert time.monotonic() < deadline, "no checkpoint within 60 s"
            time.sleep(0.1)
        time.sleep(0.3)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()

    saved = [r["step"] for r in read_log(run_dir) if r["msg"] == "saved checkpoint"]
    assert saved and saved[-1] < 250

    # same command again, nothing added
    second = subprocess.run(cmd, env=cli_env, cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert second.returncode == 0, second.stderr

    records = read_log(run_dir)
    resumed = [r for r in records if r["msg"].startswith("resumed from")]
    assert len(resumed) == 1
    assert resumed[0]["step"] == saved[-1]
    first_train_after = next(r["step"] for r in records[records.index(resumed[0]):]
                             if r["msg"] == "train")
    assert first_train_after > saved[-1]
    assert json.loads((run_dir / "status.json").read_text())["step"] == 250
