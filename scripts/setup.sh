#!/usr/bin/env bash
# Create .venv (once) and install this project with its test extra into it.
# torch is bounded in pyproject.toml so that pip takes the CPU wheel, never a CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[train,test]'
