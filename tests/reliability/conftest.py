"""Shared settings for the reliability tests: Hypothesis profiles and small run-directory helpers.

Fuzz tests come in pairs: a fast one (FAST: 50 examples, seconds) that runs by default and
a `@pytest.mark.slow` twin (SLOW: 1,000 examples). `RELIABILITY_FUZZ_EXAMPLES` overrides
the fast count (e.g. 5 for a smoke run, 200 locally).
"""

from __future__ import annotations

import ctypes
import os
import subprocess
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


def obey_permission_bits() -> None:
    """preexec_fn: drop the capabilities by which root ignores file modes (bounding set, before exec)."""
    libc = ctypes.CDLL(None, use_errno=True)
    pr_capbset_drop = 24
    for capability in (1, 2, 3):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER
        if libc.prctl(pr_capbset_drop, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


def mode_bits_popen(scratch: Path) -> dict[str, object] | None:
    """Popen keywords under which a child obeys file mode bits (as root: capabilities dropped), or
    None where root cannot be made to (no CAP_SETPCAP). `scratch` is an empty folder for the probe."""
    popen: dict[str, object] = {"env": child_env()}
    if os.geteuid() != 0:
        return popen
    popen["preexec_fn"] = obey_permission_bits
    locked = scratch / "locked"
    locked.mkdir(mode=0o555)
    probe = subprocess.run(["sh", "-c", 'touch "$1/x"', "sh", str(locked)], capture_output=True, **popen)
    return None if probe.returncode == 0 else popen
