import json
import logging
import os
import sys
import threading
import time


def setup_logging():
    logging.basicConfig(
        format="%(asctime)s | %(levelname)s | %(name)s | %(message)s",
        datefmt="%Y-%m-%d %H:%M:%S",
        level=logging.INFO,
        stream=sys.stdout,
        force=True,
    )


def format_stat(v):
    return f"{v:.3f}" if isinstance(v, float) else str(v)


def log_stats(logger, log_format, epoch, step, total, stats):
    """One training line, fairseq's simple or json manner."""
    if log_format == "json":
        row = {"epoch": epoch, "update": round(epoch - 1 + step / total, 3)}
        row.update({k: format_stat(v) for k, v in stats.items()})
        logger.info(json.dumps(row))
    else:
        body = ", ".join(f"{k}={format_stat(v)}" for k, v in stats.items())
        logger.info(f"epoch {epoch:03d}: {step:>6d} / {total} {body}")


def write_status(save_dir, **fields):
    """Rewrite <save_dir>/status.json in one step (read by the team dashboard)."""
    path = os.path.join(save_dir, "status.json")
    with open(path + ".tmp", "w") as f:
        json.dump(dict(fields, time=time.strftime("%Y-%m-%d %H:%M:%S")), f, indent=2)
    os.replace(path + ".tmp", path)


class Heartbeat(threading.Thread):
    """Touches a file every `interval` seconds, independently of the training loop."""

    def __init__(self, path, interval=30.0):
        super().__init__(name="tinyseq-heartbeat", daemon=True)
        self.path = path
        self.interval = interval
        self._done = threading.Event()

    def beat(self):
        with open(self.path, "w") as f:
            f.write(f"{time.time():.3f} pid={os.getpid()}\n")

    def run(self):
        self.beat()
        while not self._done.wait(self.interval):
            self.beat()

    def stop(self):
        self._done.set()
