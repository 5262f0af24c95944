"""Regenerate fairseq_style's JUnit file and its run folder (checkpoints/toy_lstm/).

    /work/sidevenv/bin/python /work/holdout4/_make/fairseq_style.py            # tests + run
    /work/sidevenv/bin/python /work/holdout4/_make/fairseq_style.py --mtimes-only

1. The tests as the README says: `pytest --junitxml=test-results/junit.xml` (no --runslow, so the
   kill-and-restart test is skipped, as it is in the team's CI).
2. The README's training command, verbatim, through `bash -c` (so `>> checkpoints/toy_lstm/train.log
   2>&1` is the shell's), with the side venv's `python` first on PATH. Ten seconds after the
   checkpoint at update 500 is logged, the python process gets a real SIGKILL. After 15 s of
   downtime the very same command is run again; it resumes from checkpoint_last.pt on its own and
   finishes at update 1200.
3. Every file under the project with its mtime into _mtimes/fairseq_style.json.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

HOLDOUT = Path(__file__).resolve().parents[1]
PROJECT = HOLDOUT / "fairseq_style"
MTIMES = HOLDOUT / "_mtimes" / "fairseq_style.json"
SAVE_DIR = PROJECT / "checkpoints" / "toy_lstm"
LOG = SAVE_DIR / "train.log"
README_COMMAND = """mkdir -p checkpoints/toy_lstm
python -m tinyseq.train data/toy \\
    --arch lstm_lm --batch-size 4 --lr 0.001 --max-update 1200 \\
    --save-dir checkpoints/toy_lstm --save-interval-updates 100 --keep-interval-updates 3 \\
    --no-epoch-checkpoints --log-format simple --log-interval 25 --fetch-delay-ms 230 \\
    >> checkpoints/toy_lstm/train.log 2>&1
"""
KILL_AFTER = "(epoch 2 @ 500 updates"
KILL_DELAY_S = 10
DOWNTIME_S = 15
SKIP_DIRS = {"__pycache__", ".pytest_cache"}


def env():
    side_bin = str(Path(sys.executable).parent)
    return dict(os.environ, OMP_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1",
                PATH=f"{side_bin}{os.pathsep}{os.environ['PATH']}")


def check_readme():
    readme = (PROJECT / "README.md").read_text()
    if README_COMMAND not in readme:
        raise SystemExit("README's training command differs from README_COMMAND")


def run_tests():
    shutil.rmtree(PROJECT / "test-results", ignore_errors=True)
    subprocess.run([sys.executable, "-m", "pytest", "--junitxml=test-results/junit.xml"],
                   cwd=PROJECT, env=env(), check=True)


def python_child(pid):
    path = Path(f"/proc/{pid}/task/{pid}/children")
    for child in (int(c) for c in path.read_text().split()) if path.exists() else []:
        if "tinyseq.train" in Path(f"/proc/{child}/cmdline").read_bytes().decode(errors="replace"):
            return child
    return None


def start():
    return subprocess.Popen(["bash", "-c", README_COMMAND], cwd=PROJECT, env=env())


def run_training():
    shutil.rmtree(PROJECT / "checkpoints", ignore_errors=True)
    first = start()
    deadline = time.time() + 400
    while not (LOG.exists() and KILL_AFTER in LOG.read_text()):
        if first.poll() is not None or time.time() > deadline:
            raise SystemExit("first session ended before the checkpoint at update 500")
        time.sleep(0.5)
    time.sleep(KILL_DELAY_S)
    pid = python_child(first.pid)
    if pid is None:
        raise SystemExit("no tinyseq.train process under bash")
    os.kill(pid, signal.SIGKILL)
    print(f"SIGKILL sent to pid {pid}")
    first.wait()
    time.sleep(DOWNTIME_S)
    second = start()
    if second.wait() != 0:
        raise SystemExit(f"second session failed, see {LOG}")
    print("done:", sorted(p.name for p in SAVE_DIR.iterdir()))


def record_mtimes():
    times = {}
    for path in sorted(PROJECT.rglob("*")):
        if path.is_file() and not SKIP_DIRS.intersection(path.relative_to(PROJECT).parts):
            times[path.relative_to(PROJECT).as_posix()] = round(path.stat().st_mtime, 3)
    MTIMES.write_text(json.dumps(times, indent=1, sort_keys=True) + "\n")
    print(f"recorded {len(times)} mtimes in {MTIMES}")


if __name__ == "__main__":
    if "--mtimes-only" not in sys.argv:
        check_readme()
        run_tests()
        run_training()
    record_mtimes()
