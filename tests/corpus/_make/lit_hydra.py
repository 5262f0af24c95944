#!/usr/bin/env python
"""Regenerate tests/corpus/lit_hydra:

1. its TDD records: the change "the datamodule refuses a split that does not add up" is
   replayed on the project's own files (the datamodule without the check, then a first inline
   check, then the final `check_split` helper), running `pytest tests/test_datamodule.py
   --junitxml=tdd/split-check/<phase>.xml` at each phase as CONTRIBUTING.md says;
2. its CI JUnit file, as `make test` writes it (`pytest -m "not slow"`);
3. one training run as the README says (`python src/train.py`), which Hydra puts under
   logs/train/runs/<date>_<time>/;
4. every file's mtime.

Run with the side virtual environment: /work/sidevenv/bin/python tests/corpus/_make/lit_hydra.py
"""

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1] / "lit_hydra"
MTIMES = Path(__file__).resolve().parents[1] / "_mtimes" / "lit_hydra.json"
DATAMODULE = PROJECT / "src" / "data" / "waves_datamodule.py"
ENV = dict(os.environ, OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1")

FINAL_CALL = "        check_split(n_samples, train_val_test_split)\n"
FINAL_HELPER_START = "\n\ndef check_split("
FIRST_INLINE_CHECK = """\
        if sum(train_val_test_split) != n_samples:
            raise ValueError(
                f"train_val_test_split {list(train_val_test_split)} adds up to "
                f"{sum(train_val_test_split)}, not n_samples={n_samples}"
            )
        if min(train_val_test_split) < 0:
            raise ValueError(f"train_val_test_split has a negative part: {list(train_val_test_split)}")
"""


def clean():
    for name in ("logs", "reports", "tdd", ".pytest_cache"):
        shutil.rmtree(PROJECT / name, ignore_errors=True)
    for cache in PROJECT.rglob("__pycache__"):
        shutil.rmtree(cache)


def pytest(*args):
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--color=no", *args],
        cwd=PROJECT, env=ENV, check=False,
    ).returncode


def replay_tdd():
    final = DATAMODULE.read_text()
    assert FINAL_CALL in final and FINAL_HELPER_START in final
    without_helper = final[: final.index(FINAL_HELPER_START)] + "\n"
    red = without_helper.replace(FINAL_CALL, "")
    green = without_helper.replace(FINAL_CALL, FIRST_INLINE_CHECK)
    record = "tdd/split-check"
    try:
        DATAMODULE.write_text(red)
        assert pytest("tests/test_datamodule.py", f"--junitxml={record}/1-red.xml") == 1, "red must fail"
        time.sleep(5)
        DATAMODULE.write_text(green)
        assert pytest("tests/test_datamodule.py", f"--junitxml={record}/2-green.xml") == 0, "green must pass"
        time.sleep(5)
    finally:
        DATAMODULE.write_text(final)
    assert pytest("tests/test_datamodule.py", f"--junitxml={record}/3-refactor.xml") == 0, "refactor must pass"


def write_mtimes():
    mtimes = {}
    for path in sorted(PROJECT.rglob("*")):
        # expected.yaml is our label, not part of the project's own files
        if path.is_file() and "__pycache__" not in path.parts and path.name != "expected.yaml":
            mtimes[path.relative_to(PROJECT).as_posix()] = path.stat().st_mtime
    MTIMES.write_text(json.dumps(mtimes, indent=1, sort_keys=True) + "\n")


def main():
    clean()
    replay_tdd()
    time.sleep(5)
    pytest("-m", "not slow", "--junitxml=reports/junit.xml")  # make test
    time.sleep(5)
    run = subprocess.run(
        ["nice", "-n", "10", sys.executable, "src/train.py"],
        cwd=PROJECT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    if run.returncode != 0:
        sys.exit(f"training failed:\n{run.stderr[-3000:]}")
    for cache in PROJECT.rglob("__pycache__"):
        shutil.rmtree(cache)
    write_mtimes()
    print("run:", [p.relative_to(PROJECT).as_posix() for p in (PROJECT / "logs" / "train" / "runs").iterdir()])


if __name__ == "__main__":
    main()
