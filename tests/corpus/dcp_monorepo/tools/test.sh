#!/usr/bin/env bash
# Run the trainer package's tests with a JUnit report for CI.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PYTHONPATH="$ROOT/packages/trainer/src:$ROOT/packages/data/src${PYTHONPATH:+:$PYTHONPATH}"
mkdir -p reports/junit
python -m pytest packages/trainer/tests --junitxml=reports/junit/trainer.xml "$@"
