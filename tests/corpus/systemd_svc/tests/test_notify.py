import socket
import time

from svctrain import notify


def test_sd_notify_is_noop_outside_systemd(monkeypatch):
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert notify.sd_notify("READY=1") is False


def test_sd_notify_sends_datagram(tmp_path, monkeypatch):
    addr = str(tmp_path / "notify.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(addr)
    monkeypatch.setenv("NOTIFY_SOCKET", addr)
    try:
        assert notify.sd_notify("WATCHDOG=1") is True
        assert server.recv(64) == b"WATCHDOG=1"
    finally:
        server.close()


def test_pinger_keeps_touching_heartbeat(tmp_path):
    beat = tmp_path / "heartbeat"
    pinger = notify.WatchdogPinger(beat, interval=0.05)
    pinger.start()
    try:
        time.sleep(0.2)
        first = float(beat.read_text())
        time.sleep(0.2)
        assert float(beat.read_text()) > first
    finally:
        pinger.stop()
        pinger.join(1)
