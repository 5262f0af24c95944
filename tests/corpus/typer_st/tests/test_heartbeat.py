import time

from pulsefit.heartbeat import Heartbeat


def test_heartbeat_refreshes_its_file(tmp_path):
    hb = Heartbeat(tmp_path / "heartbeat", every=0.05)
    hb.start()
    try:
        time.sleep(0.1)
        first = float((tmp_path / "heartbeat").read_text())
        time.sleep(0.2)
        second = float((tmp_path / "heartbeat").read_text())
    finally:
        hb.stop()
        hb.join(timeout=1)
    assert second > first
    assert not hb.is_alive()
