#!/usr/bin/env bash
# Launch a training run. Extra arguments go straight to lm.train, e.g.
#   scripts/launch.sh --resume
set -euo pipefail
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
exec python -m lm.train --out-dir runs/tiny --max-steps 2400 --save-every 300 "$@"
