import json
import re

from conftest import FAST, run_lumen


def test_progress_file_describes_the_finished_run(tmp_path):
    run_lumen(tmp_path, *FAST, "--max-steps", "40", "--heartbeat-period", "0.2")

    progress = json.loads((tmp_path / "progress.json").read_text())
    assert progress["status"] == "finished"
    assert progress["step"] == progress["max_steps"] == 40
    assert progress["last_checkpoint"] == "step-000040.pt"
    assert progress["loss"] > 0
    assert progress["heartbeat_at"]


def test_log_has_a_line_every_n_steps(tmp_path):
    run_lumen(tmp_path, *FAST, "--max-steps", "30", "--log-every", "5")

    lines = (tmp_path / "train.log").read_text().splitlines()
    logged = [int(m.group(1)) for line in lines if (m := re.search(r" step (\d+)/30 loss \d", line))]
    assert logged == [5, 10, 15, 20, 25, 30]


def test_heartbeat_ticks_while_a_batch_is_stuck(tmp_path):
    # each batch takes 1.5 s; the heartbeat must keep ticking meanwhile
    run_lumen(tmp_path, "--batch-delay", "1.5", "--max-steps", "2", "--heartbeat-period", "0.2")

    beats = [json.loads(line) for line in (tmp_path / "heartbeat.jsonl").read_text().splitlines()]
    during_first_batch = [b for b in beats if b["status"] == "running" and b["step"] == 0]
    assert len(during_first_batch) >= 4
    assert beats[-1]["status"] == "finished"
    assert len({b["pid"] for b in beats}) == 1
