"""status.json and the heartbeat file."""

import datetime
import json
import os
import threading


def _now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def write_status(path, **fields):
    fields["updated_at"] = _now()
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(fields, f, indent=2, sort_keys=True)
    os.replace(tmp, path)


class Heartbeat(threading.Thread):
    """Appends '<utc time> step <n>' to a file every ``every_secs`` seconds."""

    def __init__(self, path, every_secs=15.0):
        super().__init__(name="heartbeat", daemon=True)
        self.path = path
        self.every_secs = every_secs
        self.step = 0
        self._halt = threading.Event()

    def beat(self):
        with open(self.path, "a") as f:
            f.write("%s step %d\n" % (_now(), self.step))

    def run(self):
        while not self._halt.wait(self.every_secs):
            self.beat()

    def stop(self):
        self._halt.set()
