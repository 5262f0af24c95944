"""Runs train.py in a subprocess and inspects the run dir it leaves."""

import csv
import json
import re
import signal
import subprocess
import time

from conftest import run


def test_modelcheckpoint_every_n_batches(train_cmd, env):
    # 1000 points / 16 = 63 batches an epoch; every 40 batches over 2 epochs -> 3 saves
    res = run(train_cmd("--epochs", "2", "--ckpt-every", "40", "--batch-delay", "0"), env)
    assert res.returncode == 0, res.stderr
    names = sorted(p.name for p in (train_cmd.run_dir / "checkpoints").glob("*.keras"))
    assert names == ["ckpt-e01-b0040.keras", "ckpt-e02-b0017.keras", "ckpt-e02-b0057.keras"]
    assert (train_cmd.run_dir / "final.keras").exists()


def test_status_json_after_each_epoch(train_cmd, env):
    res = run(train_cmd("--epochs", "3", "--batch-delay", "0"), env)
    assert res.returncode == 0, res.stderr
    status = json.loads((train_cmd.run_dir / "status.json").read_text())
    assert status["epoch"] == 3 and status["of"] == 3
    assert status["loss"] > 0


def test_rerun_after_kill_continues_from_backup(train_cmd, env):
    cmd = train_cmd("--epochs", "6", "--batch-delay", "0.03", "--backup-every", "10")
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    meta = train_cmd.run_dir / "backup" / "training_metadata.json"
    deadline = time.time() + 120
    while time.time() < deadline:
        if meta.exists() and json.loads(meta.read_text() or "{}").get("epoch", 0) >= 2:
            break
        time.sleep(0.1)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    backed_up = json.loads(meta.read_text())["epoch"]
    assert 2 <= backed_up < 6

    res = run(cmd, env)  # same command, nothing to say where to resume from
    assert res.returncode == 0, res.stdout + res.stderr
    assert "found a backup" in res.stdout
    epochs_run = re.findall(r"^Epoch (\d+)/6$", res.stdout, re.M)
    assert epochs_run[0] == str(backed_up + 1)
    rows = list(csv.DictReader(open(train_cmd.run_dir / "history.csv")))
    assert [int(r["epoch"]) for r in rows][-1] == 5
    assert not (train_cmd.run_dir / "backup").exists()
