#!/usr/bin/env python
"""Regenerate tests/corpus/accel:

1. its TDD records: the change "latest_checkpoint picks the highest checkpoint_<n> and ignores
   anything else" is replayed on train.py (a naive sorted()[-1], then a first filter, then the
   final helper), saving `pytest tests/test_checkpoints.py` output at each phase as
   CONTRIBUTING.md says (tdd/latest-checkpoint/{red,green,refactor}.txt: plain pytest output);
2. its CI JUnit file (`pytest --junitxml=.ci/pytest.xml`);
3. a run exactly as the README says (`accelerate launch ... 2>&1 | tee -a runs/exp1/train.log`),
   started in its own process group, SIGKILLed as a whole (launcher, trainer and tee) once two
   save_state() folders exist, then after a downtime the same command again (auto-resume);
4. every file's mtime.

Run with the side virtual environment: /work/sidevenv/bin/python tests/corpus/_make/accel.py
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1] / "accel"
MTIMES = Path(__file__).resolve().parents[1] / "_mtimes" / "accel.json"
TRAIN = PROJECT / "train.py"
RUN = PROJECT / "runs" / "exp1"
README_COMMAND = (
    "accelerate launch train.py --project_dir runs/exp1 --step_delay 1.2 2>&1 | tee -a runs/exp1/train.log"
)
DOWNTIME_S = 30
ENV = dict(
    os.environ,
    OMP_NUM_THREADS="1",
    PYTHONUNBUFFERED="1",
    PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}",
)

FINAL_BODY = '''    found = [d for d in os.listdir(root) if CHECKPOINT_DIR.fullmatch(d) and os.path.isdir(os.path.join(root, d))]
    if not found:
        return None
    return os.path.join(root, max(found, key=checkpoint_number))
'''
RED_BODY = '''    return os.path.join(root, sorted(os.listdir(root))[-1])
'''
GREEN_BODY = '''    found = [d for d in os.listdir(root) if re.fullmatch(r"checkpoint_\\d+", d)]
    if not found:
        return None
    return os.path.join(root, max(found, key=lambda d: int(d.split("_")[1])))
'''


def clean():
    for name in ("runs", ".ci", "tdd", ".pytest_cache"):
        shutil.rmtree(PROJECT / name, ignore_errors=True)
    for cache in PROJECT.rglob("__pycache__"):
        shutil.rmtree(cache)


def pytest_to(record, *args):
    record.parent.mkdir(parents=True, exist_ok=True)
    with open(record, "w") as out:
        return subprocess.run(
            [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
            cwd=PROJECT, env=ENV, stdout=out, stderr=subprocess.STDOUT, check=False,
        ).returncode


def replay_tdd():
    final = TRAIN.read_text()
    assert FINAL_BODY in final
    record = PROJECT / "tdd" / "latest-checkpoint"
    try:
        TRAIN.write_text(final.replace(FINAL_BODY, RED_BODY))
        assert pytest_to(record / "red.txt", "tests/test_checkpoints.py") == 1, "red must fail"
        time.sleep(5)
        TRAIN.write_text(final.replace(FINAL_BODY, GREEN_BODY))
        assert pytest_to(record / "green.txt", "tests/test_checkpoints.py") == 0, "green must pass"
        time.sleep(5)
    finally:
        TRAIN.write_text(final)
    assert pytest_to(record / "refactor.txt", "tests/test_checkpoints.py") == 0, "refactor must pass"


def start():
    return subprocess.Popen(
        ["bash", "-c", README_COMMAND], cwd=PROJECT, env=ENV,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )


def saved_folders():
    root = RUN / "checkpoints"
    return sorted(p.name for p in root.glob("checkpoint_*") if (p / "custom_checkpoint_0.pkl").exists()) if root.is_dir() else []


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
    pytest_to(PROJECT / ".ci" / "pytest-console.txt", "--junitxml=.ci/pytest.xml")
    (PROJECT / ".ci" / "pytest-console.txt").unlink()  # CI keeps only the JUnit file
    RUN.mkdir(parents=True)
    first = start()
    while len(saved_folders()) < 2:
        if first.poll() is not None:
            sys.exit(f"first session ended early with {first.returncode}")
        time.sleep(0.5)
    time.sleep(8)
    os.killpg(first.pid, signal.SIGKILL)  # the whole job: launcher, trainer and tee
    first.wait()
    print("killed after", saved_folders())
    time.sleep(DOWNTIME_S)
    second = start()
    if second.wait() != 0:
        sys.exit(f"second session failed with {second.returncode}")
    for cache in PROJECT.rglob("__pycache__"):
        shutil.rmtree(cache)
    write_mtimes()
    print("done:", saved_folders())


if __name__ == "__main__":
    main()
