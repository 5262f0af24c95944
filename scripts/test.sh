#!/usr/bin/env bash
# The test suite, slow tests included: the same command CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
mkdir -p reports
exec .venv/bin/python -m pytest --junitxml=reports/junit.xml "$@"
