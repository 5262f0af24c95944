#!/usr/bin/env bash
# Launch (or continue) a run:  tools/launch.sh CONFIG [RUN_NAME]
# The run folder is experiments/<RUN_NAME> (default: the config's name). Running the same
# line again continues from the newest complete checkpoint in that folder.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CONFIG="${1:?usage: tools/launch.sh CONFIG [RUN_NAME]}"
NAME="${2:-$(basename "$CONFIG" .toml)}"
RUN_DIR="experiments/$NAME"

cd "$ROOT"
mkdir -p "$RUN_DIR"
export PYTHONPATH="$ROOT/packages/trainer/src:$ROOT/packages/data/src${PYTHONPATH:+:$PYTHONPATH}"
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"

echo "=== $(date -u +%FT%TZ) launch $CONFIG -> $RUN_DIR (host $(hostname -s))" >> "$RUN_DIR/train.log"
python -m trainer --config "$CONFIG" --run-dir "$RUN_DIR" 2>&1 | tee -a "$RUN_DIR/train.log"
