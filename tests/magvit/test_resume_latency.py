"""What runs between a resumed trainer's start and its first step stays cheap
(docs/benchmarks.md section 5: turning on deterministic mode through
`torch.use_deterministic_algorithms` imported torch's compiler stack, about 3 s of every start)."""

from __future__ import annotations

import subprocess
import sys

_PROBE = """
import sys, torch
from magvit.train import deterministic
with deterministic(1):
    print("on", torch.are_deterministic_algorithms_enabled())
    print("compiler", "torch._inductor" in sys.modules or "torch._dynamo" in sys.modules)
print("after", torch.are_deterministic_algorithms_enabled())
"""

_PROBE_COMPILER_LOADED = """
import torch, torch._inductor.config as inductor_config
from magvit.train import deterministic
with deterministic(1):
    print("inductor", inductor_config.deterministic)
print("after", inductor_config.deterministic)
"""


def _run(code: str) -> dict[str, str]:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    return dict(line.split(" ", 1) for line in out.stdout.splitlines())


def test_deterministic_mode_does_not_import_the_compiler():
    seen = _run(_PROBE)
    assert seen == {"on": "True", "compiler": "False", "after": "False"}


def test_deterministic_mode_still_reaches_the_compiler_when_it_is_loaded():
    """torch.compile honours inductor's own flag; a process that has loaded it keeps getting it set."""
    assert _run(_PROBE_COMPILER_LOADED) == {"inductor": "True", "after": "False"}
