"""The trainer's CPU threads wait passively: spinning OpenMP workers on a shared machine made a
training step several times slower (docs/benchmarks.md, trainer throughput)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


def _policy_seen_by_torch_process(env: dict[str, str]) -> str:
    code = "import magvit, os, torch; print(os.environ.get('OMP_WAIT_POLICY'))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    return out.stdout.strip()


def test_importing_magvit_sets_a_passive_wait_policy_before_torch_loads():
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    assert _policy_seen_by_torch_process(env) == "PASSIVE"


@pytest.mark.parametrize("users", ["ACTIVE", "passive"])
def test_a_users_own_wait_policy_is_kept(users):
    env = {**os.environ, "OMP_WAIT_POLICY": users}
    assert _policy_seen_by_torch_process(env) == users


def test_training_does_not_fill_new_tensors_with_nan():
    """Deterministic mode fills every new tensor with NaN by default (8 % of a step here);
    the trainer's deterministic() turns that debugging aid off and restores it after."""
    import torch

    from magvit.train import deterministic

    before = torch.utils.deterministic.fill_uninitialized_memory
    with deterministic(1):
        assert torch.are_deterministic_algorithms_enabled()
        assert torch.utils.deterministic.fill_uninitialized_memory is False
    assert torch.utils.deterministic.fill_uninitialized_memory == before
