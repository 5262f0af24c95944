"""Shared settings for the reliability tests: Hypothesis profiles and small run-directory helpers.

Fuzz tests come in pairs: a fast one (FAST: 50 examples, seconds) that runs by default and
a `@pytest.mark.slow` twin (SLOW: 1,000 examples). `RELIABILITY_FUZZ_EXAMPLES` overrides
the fast count (e.g. 5 for a smoke run, 200 locally).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable

FAST = settings(
    max_examples=int(os.environ.get("RELIABILITY_FUZZ_EXAMPLES", "50")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    # no shrinking: a failure is reported at once with its example (shrinking file-writing
    # properties can take minutes on a 2-core CI)
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
)
SLOW = settings(FAST, max_examples=1000)


def fuzz_pair(prop, *strategies):
    """(fast test, slow test) running the property `prop` over `strategies`."""
    fast = FAST(given(*strategies)(prop))
    slow = pytest.mark.slow(SLOW(given(*strategies)(prop)))
    return fast, slow


def child_env() -> dict[str, str]:
    """Environment for trainer subprocesses: one CPU thread each (the CI has two cores)."""
    env = dict(os.environ)
    env.update(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONUNBUFFERED="1")
    return env


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory) -> Path:
    """The tiny data set tiny.yaml expects (24 clips of 4x16x16), made once per session."""
    import subprocess

    out = tmp_path_factory.mktemp("data") / "tiny.npz"
    subprocess.run([PYTHON, "-m", "magvit", "data", "make", "--out", str(out), "--n", "24", "--frames", "4",
                    "--size", "16"], cwd=ROOT, check=True, capture_output=True, env=child_env())
    return out
