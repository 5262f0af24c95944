"""MAGVIT video tokenizer trainer on synthetic trajectory videos."""

import os

# Before anything imports torch: OpenMP threads that spin while waiting for work made a
# training step 3-4x slower on a shared 2-core machine and took CPU from everything else
# (docs/benchmarks.md, trainer throughput); results are the same either way. A policy the
# user set is kept.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"
