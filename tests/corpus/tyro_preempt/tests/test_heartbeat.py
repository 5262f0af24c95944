import shutil
import subprocess

import pytest

from rhea.heartbeat import Heartbeat


def test_beat_appends_a_line_each_time(tmp_path):
    hb = Heartbeat(tmp_path / "heartbeat.log")
    hb.beat(10)
    hb.beat(20)
    hb.beat()
    lines = (tmp_path / "heartbeat.log").read_text().splitlines()
    assert len(lines) == 3
    assert lines[1].endswith("step=20")
    assert lines[2].endswith("step=20")
    t0, t1 = float(lines[0].split()[0]), float(lines[2].split()[0])
    assert 0 <= t1 - t0 < 5


@pytest.mark.skipif(shutil.which("sbatch") is None, reason="needs a SLURM submit host")
def test_heartbeat_fresh_during_cluster_job(tmp_path):
    run = tmp_path / "hb"
    subprocess.run(["sbatch", "--wait", f"--export=ALL,RUN_DIR={run}", "scripts/requeue.sh",
                    "--max-steps", "3000", "--data.latency-ms", "50"], check=True)
    times = [float(l.split()[0]) for l in (run / "heartbeat.log").read_text().splitlines()]
    assert len(times) >= 3
    assert max(b - a for a, b in zip(times, times[1:])) < 60
