import json
import re
import signal
import time

import torch


def wait_for(predicate, timeout=90.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_checkpoints_every_k_episodes_keep_the_replay_buffer(train, run_dir):
    result = train("--episodes", "9", "--ckpt-every", "3")
    assert result.returncode == 0, result.stderr
    names = sorted(p.name for p in (run_dir / "ckpts").glob("ep_*.pt"))
    assert names == ["ep_3.pt", "ep_6.pt", "ep_9.pt"]
    sizes = []
    for k in (3, 6, 9):
        state = torch.load(run_dir / "ckpts" / f"ep_{k}.pt", weights_only=True)
        assert state["episode"] == k
        assert {"q", "optimizer", "replay"} <= set(state)
        assert state["optimizer"]["state"], "optimizer moments must be saved"
        sizes.append(len(state["replay"]["data"]))
    assert 0 < sizes[0] < sizes[1] < sizes[2]


def test_status_json_is_rewritten_every_episode(launch, run_dir):
    proc = launch("--episodes", "6", "--ckpt-every", "100", "--reset-delay", "0.3")
    seen = []

    def three_episodes():
        try:
            status = json.loads((run_dir / "status.json").read_text())
        except (OSError, ValueError):
            return False
        if status["state"] == "running" and status["episode"] not in seen:
            seen.append(status["episode"])
        return len(seen) >= 3

    assert wait_for(three_episodes)
    assert seen == sorted(seen) and seen[0] >= 1
    assert proc.wait(timeout=120) == 0, proc.stderr.read()
    final = json.loads((run_dir / "status.json").read_text())
    assert final["state"] == "finished" and final["episode"] == 6


def test_sigkill_then_same_command_resumes_from_newest_checkpoint(launch, train, run_dir):
    args = ("--episodes", "12", "--ckpt-every", "2", "--reset-delay", "0.25")
    proc = launch(*args)
    assert wait_for(lambda: len(list((run_dir / "ckpts").glob("ep_*.pt"))) >= 2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    newest = max(int(re.search(r"ep_(\d+)", p.name).group(1))
                 for p in (run_dir / "ckpts").glob("ep_*.pt"))
    assert newest < 12

    result = train(*args)  # same command: --resume latest is the default
    assert result.returncode == 0, result.stderr
    log = (run_dir / "train.log").read_text()
    second = log[log.rindex(" start pid="):]
    assert f"resumed from {run_dir / 'ckpts' / f'ep_{newest}.pt'}: episode {newest}" in second
    episodes = [int(n) for n in re.findall(r" episode (\d+) return ", second)]
    assert episodes[0] == newest + 1 and episodes[-1] == 12
    assert json.loads((run_dir / "status.json").read_text())["episode"] == 12


def test_heartbeat_file_keeps_beating_during_a_slow_reset(launch, run_dir):
    # one env reset of 2 s: only a timer thread can touch the file while it sleeps
    proc = launch("--episodes", "2", "--reset-delay", "2.0", "--heartbeat-every", "0.2")
    heartbeat = run_dir / "heartbeat"
    assert wait_for(heartbeat.exists, timeout=30)
    stamps = set()
    deadline = time.monotonic() + 1.5
    while time.monotonic() < deadline:
        stamps.add(heartbeat.stat().st_mtime_ns)
        time.sleep(0.05)
    assert not (run_dir / "status.json").exists(), "still inside the first episode"
    assert len(stamps) >= 4
    assert proc.wait(timeout=60) == 0, proc.stderr.read()
