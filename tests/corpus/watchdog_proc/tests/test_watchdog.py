import json
import time

from watchdog import start_watchdog


def test_watchdog_rewrites_alive_json(tmp_path):
    path = tmp_path / "alive.json"
    counter, stop, proc = start_watchdog(path, period=0.2)
    try:
        counter.value = 7
        deadline = time.time() + 20
        beats = set()
        while time.time() < deadline and len(beats) < 4:
            if path.exists():
                beats.add(json.loads(path.read_text())["beat"])
            time.sleep(0.05)
        assert len(beats) >= 4
        alive = json.loads(path.read_text())
        assert alive["step"] == 7
        assert alive["watchdog_pid"] == proc.pid
    finally:
        stop.set()
        proc.join(timeout=5)
    assert not proc.is_alive()


def test_step_unchanged_grows_when_counter_is_still(tmp_path):
    path = tmp_path / "alive.json"
    counter, stop, proc = start_watchdog(path, period=0.2)
    try:
        time.sleep(1.5)
        assert json.loads(path.read_text())["step_unchanged_s"] >= 0.8
    finally:
        stop.set()
        proc.join(timeout=5)
