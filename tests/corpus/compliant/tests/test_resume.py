import signal
import subprocess
import time

from conftest import FAST, lumen_cmd, lumen_env, run_lumen, snapshot_steps


def test_resume_from_path_continues_at_that_step(tmp_path):
    run_lumen(tmp_path, *FAST, "--max-steps", "40")
    snapshot = tmp_path / "checkpoints" / "step-000040.pt"

    run_lumen(tmp_path, *FAST, "--max-steps", "60", "--resume-from", str(snapshot))

    log = (tmp_path / "train.log").read_text()
    assert f"resumed from {snapshot} at step 40 (--resume-from)" in log
    assert "step 50/60" in log
    assert "step 10/60" not in log
    assert snapshot_steps(tmp_path)[-1] == 60


def test_rerun_after_sigkill_resumes_from_newest_snapshot(tmp_path):
    args = (*FAST, "--max-steps", "300", "--checkpoint-period", "0.5")
    proc = subprocess.Popen(lumen_cmd(tmp_path, *args), env=lumen_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while len(snapshot_steps(tmp_path)) < 2:
        assert proc.poll() is None, "training ended before two snapshots"
        assert time.time() < deadline
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    newest = snapshot_steps(tmp_path)[-1]
    assert 0 < newest < 300

    run_lumen(tmp_path, *args)

    log = (tmp_path / "train.log").read_text()
    assert f"step-{newest:06d}.pt at step {newest} (newest snapshot)" in log
    assert snapshot_steps(tmp_path)[-1] == 300


def test_fresh_ignores_existing_snapshots(tmp_path):
    run_lumen(tmp_path, *FAST, "--max-steps", "20")

    run_lumen(tmp_path, *FAST, "--max-steps", "20", "--fresh")

    log = (tmp_path / "train.log").read_text()
    assert "--fresh given, starting at step 0" in log
    assert log.count("step 10/20") == 2
