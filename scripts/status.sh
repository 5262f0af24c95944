#!/usr/bin/env bash
# The project's own status report, reports/STATUS.md and reports/status.json, from a real
# short training run of our trainer audited with the test suite's JUnit results:
#
#   bash scripts/test.sh              # first: writes reports/junit.xml (the Tested? column)
#   bash scripts/status.sh            # regenerate both reports; commit them
#   bash scripts/status.sh --check    # the same, and exit 1 when any verdict differs from the
#                                     # committed reports/status.json (CI)
#
# The run (results/status_training, made afresh each time) trains the default model on the
# default data in two sessions bounded by --time-limit, as a batch scheduler would cut a
# long job: the first (150 s) writes two periodic checkpoints a minute apart, the second
# (20 s) auto-resumes from the first's checkpoint with the same command. Both sessions are
# bounded by time, not by steps, so the verdicts do not depend on the machine's speed: the
# 1000 epochs asked for are never reached. About 3 minutes on 2 CPU cores.
set -euo pipefail
cd "$(dirname "$0")/.."

check=0
case "${1:-}" in
  "") ;;
  --check) check=1 ;;
  *) echo "usage: bash scripts/status.sh [--check]" >&2; exit 2 ;;
esac

JUNIT=reports/junit.xml
if [ ! -f "$JUNIT" ]; then
  echo "status.sh: $JUNIT is missing; run 'bash scripts/test.sh' first (the Tested? column is judged from it)" >&2
  exit 2
fi

bash scripts/setup.sh
MAGVIT=.venv/bin/magvit
AUDIT=.venv/bin/audit
DATA=results/dataset.npz
VALIDATED=results/dataset_validated.npz
RUN=results/status_training
TRAIN=("$MAGVIT" train --data "$VALIDATED" --run-dir "$RUN" --config magvit/configs/default.yaml
       --epochs 1000 --checkpoint-every 1m)

[ -f "$DATA" ] || $MAGVIT data make --out "$DATA"
[ -f "$VALIDATED" ] || $MAGVIT data validate "$DATA"

rm -rf "$RUN"
"${TRAIN[@]}" --time-limit 150s
"${TRAIN[@]}" --time-limit 20s
$MAGVIT status "$RUN" || true  # exit 12: preempted by the time limit, as intended

committed=$(mktemp)
trap 'rm -f "$committed"' EXIT
have_committed=0
if [ -f reports/status.json ]; then
  cp reports/status.json "$committed"
  have_committed=1
fi

# `audit check` exits 1 when a gated rule fails: the report is written either way, and the
# comparison below (or the gate in CI) is what decides.
$AUDIT check --run "$RUN" --junit "$JUNIT" --output json=reports/status.json --output md=reports/STATUS.md || true
# the same report again, now with the run's timeline and curves as SVG files it links (GitHub shows them)
$AUDIT report --run "$RUN" --junit "$JUNIT" --format md --assets reports/images -o reports/STATUS.md
echo "wrote reports/STATUS.md (with reports/images/timeline.svg, curves.svg) and reports/status.json from $RUN"

if [ "$have_committed" = 1 ]; then
  if $AUDIT compare "$committed" reports/status.json; then
    :
  elif [ "$check" = 1 ]; then
    echo "status.sh --check: the committed reports/status.json is stale (verdicts above); regenerate with 'bash scripts/status.sh' and commit" >&2
    exit 1
  fi
elif [ "$check" = 1 ]; then
  echo "status.sh --check: no committed reports/status.json to compare with" >&2
  exit 1
fi
