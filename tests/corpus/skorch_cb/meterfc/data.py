"""Meter series and the sliding windows the GRU is trained on.

Until the parquet export is back we train on a synthetic series with the same daily and
weekly shape as the real meters. ``io_ms`` stands in for the per-window read latency of the
store on the shared drive, so that epoch times on a dev box look like the real ones.
"""

import time

import numpy as np
import torch
from torch.utils.data import Dataset


def synth_load(hours, seed=0):
    """Hourly load in kW: base + daily + weekly cycle + noise, float32."""
    rng = np.random.default_rng(seed)
    t = np.arange(hours, dtype=np.float64)
    daily = 1.5 * np.sin(2 * np.pi * (t % 24) / 24 - 1.2)
    weekly = 0.6 * np.sin(2 * np.pi * (t % 168) / 168)
    noise = rng.normal(0.0, 0.25, size=hours)
    return (6.0 + daily + weekly + noise).astype(np.float32)


class MeterWindows(Dataset):
    """(window, next value) pairs; each step carries load, sin(hour), cos(hour)."""

    def __init__(self, load, window=24, io_ms=0.0):
        self.window = int(window)
        self.io_ms = float(io_ms)
        hours = np.arange(len(load))
        mean, std = float(load.mean()), float(load.std())
        feats = np.stack([
            (load - mean) / std,
            np.sin(2 * np.pi * (hours % 24) / 24),
            np.cos(2 * np.pi * (hours % 24) / 24),
        ], axis=1).astype(np.float32)
        self.feats = torch.from_numpy(feats)
        self.target = torch.from_numpy(((load - mean) / std).astype(np.float32))

    def __len__(self):
        return len(self.target) - self.window

    def __getitem__(self, i):
        if self.io_ms:
            time.sleep(self.io_ms / 1000.0)
        x = self.feats[i:i + self.window]
        y = self.target[i + self.window].reshape(1)
        return x, y
