"""Shared fixtures for the magvit tests."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from magvit import data


@pytest.fixture(scope="session")
def small_dataset(tmp_path_factory) -> Path:
    """A valid 24-clip data set of 8 frames of 16x16 (fast to make and to train on)."""
    path = tmp_path_factory.mktemp("data") / "small.npz"
    data.make_dataset(path, n=24, frames=8, size=16, seed=3)
    return path


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread():
    """One intra-op thread: tiny models run far faster than with threads that wait on each other."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
