#!/usr/bin/env bash
# The main job: make the default data, train the tokenizer for a few minutes on the CPU,
# evaluate it, and write the project's audit report. Safe to run again: finished steps are
# kept (the data set is reused, a finished run is not retrained).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

MAGVIT=.venv/bin/magvit
AUDIT=.venv/bin/audit
DATA=results/dataset.npz
VALIDATED=results/dataset_validated.npz
RUN=${RUN:-results/magvit_training}

[ -f "$DATA" ] || $MAGVIT data make --out "$DATA"
[ -f "$VALIDATED" ] || $MAGVIT data validate "$DATA"

# The run is cut by a wall-clock limit, as a batch scheduler would cut it, and the same
# command without the limit continues it: every main job exercises auto-resume for real.
$MAGVIT train --data "$VALIDATED" --run-dir "$RUN" --config magvit/configs/default.yaml --checkpoint-every 1m --time-limit 80s
$MAGVIT train --data "$VALIDATED" --run-dir "$RUN" --config magvit/configs/default.yaml --checkpoint-every 1m
$MAGVIT status "$RUN"
$MAGVIT eval --checkpoint "$RUN/checkpoints/final.pt" --data "$VALIDATED"

# The audit reads the run, the code, the tests' JUnit results (reports/junit.xml, written by
# scripts/test.sh) and the TDD records; it reports, it does not gate (`audit check` gates).
mkdir -p reports
$AUDIT check --run "$RUN" --output json=reports/status.json --output md=reports/STATUS.md || true
echo "report: reports/STATUS.md"
