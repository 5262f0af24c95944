import csv
import os

FIELDS = ["step", "loss", "lr", "time"]


class MetricsLogger(object):
    """Appends one CSV row per call and flushes it, so a killed run keeps its rows."""

    def __init__(self, path, append=False):
        exists = os.path.exists(path) and os.path.getsize(path) > 0
        self._f = open(path, "a" if append else "w", newline="")
        self._w = csv.DictWriter(self._f, fieldnames=FIELDS)
        if not (append and exists):
            self._w.writeheader()

    def log(self, **row):
        self._w.writerow(row)
        self._f.flush()

    def close(self):
        self._f.close()
