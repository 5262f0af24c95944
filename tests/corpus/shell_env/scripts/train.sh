#!/usr/bin/env bash
# Launch one training run. Everything the run prints is appended to $RUN_DIR/stdout.txt.
#
#   EXP=exp1 bash scripts/train.sh [--resume auto|none|PATH]
#
# Re-running the same line after a crash or a preemption continues from the newest
# checkpoint in $RUN_DIR/ckpt (the Python side defaults to --resume auto).
set -euo pipefail

cd "$(dirname "$0")/.."

EXP=${EXP:-dev}
export RUN_DIR=${RUN_DIR:-runs/$EXP}
export MAX_STEPS=${MAX_STEPS:-3200}
export SAVE_EVERY_SECONDS=${SAVE_EVERY_SECONDS:-90}
export LOG_EVERY=${LOG_EVERY:-20}
export READ_DELAY=${READ_DELAY:-0.1}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
PYTHON=${PYTHON:-python}

mkdir -p "$RUN_DIR"
echo "[train.sh $(date '+%Y-%m-%d %H:%M:%S')] host=$(hostname) EXP=$EXP RUN_DIR=$RUN_DIR" \
     "SAVE_EVERY_SECONDS=$SAVE_EVERY_SECONDS LOG_EVERY=$LOG_EVERY args: ${*:-(none)}" \
     | tee -a "$RUN_DIR/stdout.txt"

"$PYTHON" -u -m sgdlab.train "$@" 2>&1 | tee -a "$RUN_DIR/stdout.txt"
