"""Shared fixtures for the magvit tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from magvit import data


@pytest.fixture(scope="session")
def small_dataset(tmp_path_factory) -> Path:
    """A valid 24-clip data set of 8 frames of 16x16 (fast to make and to train on)."""
    path = tmp_path_factory.mktemp("data") / "small.npz"
    data.make_dataset(path, n=24, frames=8, size=16, seed=3)
    return path
