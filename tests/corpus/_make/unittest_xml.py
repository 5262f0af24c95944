"""Regenerate unittest_xml's JUnit files (test-reports/) and its run (runs/mlp-small/).

    /work/sidevenv/bin/python /work/holdout10/_make/unittest_xml.py              # tests + run
    /work/sidevenv/bin/python /work/holdout10/_make/unittest_xml.py --mtimes-only

1. The tests as README.md says, with unittest-xml-reporting (no pytest):
   `python -m xmlrunner discover -s tests -o test-reports`, which writes one
   TEST-<module>.<Class>-<timestamp>.xml per test class. Its default discovery pattern is
   test*.py, so tests/checkpoint_test.py is not collected (the team's docs say *_test.py works).
2. The README's command, `python trainer.py --run-dir runs/mlp-small --max-steps 4200
   --read-latency 0.08`. 20 s after train.log shows the step-2000 save the training process
   gets a real SIGKILL; after 10 s of downtime the same command is started again with
   `--resume` added, as README.md ("When a run dies") says, and runs to step 4200.
   The trainer's own logging writes runs/mlp-small/train.log; its stdout copy goes to a
   temporary file outside the project.
3. Every file under the project (except expected.yaml, our label) with its mtime into
   _mtimes/unittest_xml.json.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HOLDOUT = Path(__file__).resolve().parents[1]
PROJECT = HOLDOUT / "unittest_xml"
MTIMES = HOLDOUT / "_mtimes" / "unittest_xml.json"
RUN_DIR = "runs/mlp-small"
COMMAND = ["trainer.py", "--run-dir", RUN_DIR, "--max-steps", "4200", "--read-latency", "0.08"]
KILL_AFTER_SAVE = "ckpt_step_0002000.pt"
KILL_DELAY_S = 20
DOWNTIME_S = 10
SKIP_DIRS = {"__pycache__"}


def base_env():
    return dict(os.environ, OMP_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1",
                PYTHONUNBUFFERED="1")


def clean_caches():
    for cache in PROJECT.rglob("__pycache__"):
        shutil.rmtree(cache)


def run_tests():
    shutil.rmtree(PROJECT / "test-reports", ignore_errors=True)
    subprocess.run([sys.executable, "-m", "xmlrunner", "discover", "-s", "tests",
                    "-o", "test-reports"], cwd=PROJECT, env=base_env(), check=True)


def start(extra, out):
    return subprocess.Popen(["nice", "-n", "10", sys.executable, *COMMAND, *extra],
                            cwd=PROJECT, env=base_env(), stdout=out, stderr=subprocess.STDOUT)


def log_text():
    path = PROJECT / RUN_DIR / "train.log"
    return path.read_text() if path.exists() else ""


def run_training():
    shutil.rmtree(PROJECT / "runs", ignore_errors=True)
    with tempfile.TemporaryDirectory() as tmp:
        with open(Path(tmp) / "session1.out", "wb") as out:
            first = start([], out)
            deadline = time.time() + 400
            while "saved" not in log_text() or KILL_AFTER_SAVE not in log_text():
                if first.poll() is not None or time.time() > deadline:
                    raise SystemExit("session 1 ended before its step-2000 checkpoint")
                time.sleep(0.5)
            time.sleep(KILL_DELAY_S)
            first.send_signal(signal.SIGKILL)
            first.wait()
        print(f"SIGKILL sent to pid {first.pid}; down for {DOWNTIME_S} s")
        time.sleep(DOWNTIME_S)
        with open(Path(tmp) / "session2.out", "wb") as out:
            second = start(["--resume"], out)
            if second.wait() != 0:
                print((Path(tmp) / "session2.out").read_text()[-3000:])
                raise SystemExit("session 2 failed")
    print("done:", sorted(p.name for p in (PROJECT / RUN_DIR).iterdir()))


def record_mtimes():
    times = {}
    for path in sorted(PROJECT.rglob("*")):
        rel = path.relative_to(PROJECT)
        if path.is_file() and not SKIP_DIRS.intersection(rel.parts) and rel.name != "expected.yaml":
            times[rel.as_posix()] = round(path.stat().st_mtime, 3)
    MTIMES.write_text(json.dumps(times, indent=1, sort_keys=True) + "\n")
    print(f"recorded {len(times)} mtimes in {MTIMES}")


if __name__ == "__main__":
    if "--mtimes-only" not in sys.argv:
        clean_caches()
        run_tests()
        run_training()
        clean_caches()
    record_mtimes()
