"""Talking to systemd (sd_notify) and the heartbeat file next to state.json."""

import os
import socket
import threading
import time
from pathlib import Path


def sd_notify(message):
    """Send one sd_notify datagram; a no-op (False) when not started by systemd."""
    addr = os.environ.get("NOTIFY_SOCKET")
    if not addr:
        return False
    if addr.startswith("@"):
        addr = "\0" + addr[1:]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.connect(addr)
        sock.sendall(message.encode())
    return True


def touch_heartbeat(path):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(f"{time.time():.3f}\n")
    os.replace(tmp, path)


class WatchdogPinger(threading.Thread):
    """Pings WATCHDOG=1 and touches the heartbeat file every `interval` seconds."""

    def __init__(self, heartbeat_file, interval):
        super().__init__(name="watchdog-pinger", daemon=True)
        self.heartbeat_file = heartbeat_file
        self.interval = interval
        self._halt = threading.Event()

    def run(self):
        while not self._halt.wait(self.interval):
            sd_notify("WATCHDOG=1")
            touch_heartbeat(self.heartbeat_file)

    def stop(self):
        self._halt.set()
