"""Scalar logging: TensorBoard's SummaryWriter when tensorboard is installed, else a CSV file."""

import csv
import time
from pathlib import Path

try:
    from torch.utils.tensorboard import SummaryWriter
except ImportError:  # tensorboard is an optional dependency
    SummaryWriter = None


class CSVWriter:
    """The subset of SummaryWriter we use, appending to scalars.csv."""

    def __init__(self, log_dir):
        Path(log_dir).mkdir(parents=True, exist_ok=True)
        self._f = open(Path(log_dir) / "scalars.csv", "a", newline="")
        self._w = csv.writer(self._f)

    def add_scalar(self, tag, value, global_step):
        self._w.writerow([time.time(), tag, global_step, float(value)])

    def flush(self):
        self._f.flush()

    def close(self):
        self._f.close()


def make_writer(log_dir):
    if SummaryWriter is not None:
        return SummaryWriter(log_dir=str(log_dir))
    return CSVWriter(log_dir)
