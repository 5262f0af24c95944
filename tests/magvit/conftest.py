"""Shared fixtures for the magvit tests."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from magvit import data as data_module

try:
    from stage2_helpers import train_tiny_tokenizer
    from train_helpers import make_data
except ImportError:  # tests/magvit became a package
    from .stage2_helpers import train_tiny_tokenizer  # type: ignore[no-redef]
    from .train_helpers import make_data  # type: ignore[no-redef]


@pytest.fixture(scope="session")
def data(tmp_path_factory) -> Path:
    """The tiny data set tiny.yaml expects, made once for every test module that reads it."""
    return make_data(tmp_path_factory.mktemp("data") / "tiny.npz")


@pytest.fixture(scope="session")
def tokenizer(tmp_path_factory, data) -> Path:
    """The final checkpoint of a tiny tokenizer run, trained once for the transformer-stage tests."""
    return train_tiny_tokenizer(data, tmp_path_factory.mktemp("tokenizer") / "run")


@pytest.fixture(scope="session")
def small_dataset(tmp_path_factory) -> Path:
    """A valid 24-clip data set of 8 frames of 16x16 (fast to make and to train on)."""
    path = tmp_path_factory.mktemp("data") / "small.npz"
    data_module.make_dataset(path, n=24, frames=8, size=16, seed=3)
    return path


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread():
    """One intra-op thread: tiny models run far faster than with threads that wait on each other."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
