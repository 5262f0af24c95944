"""Regenerate nb_drive's JUnit file and its run (drive/).

    /work/sidevenv/bin/python /work/holdout7/_make/nb_drive.py            # tests + run
    /work/sidevenv/bin/python /work/holdout7/_make/nb_drive.py --mtimes-only

1. The tests as the README says: `pytest --junitxml=reports/junit.xml`.
2. The notebook, "Run All" played as a script: the code cells of train.ipynb, in order, are
   joined into one file in a temporary folder (what a kernel executing them one after the
   other does) and run with the project as working directory; stdout and stderr (the cells'
   output) are appended to drive/notebook_output.log. 15 s after the second timed save
   ("saved drive/ckpt/...") the kernel process gets a real SIGKILL (a dropped Colab runtime).
   After 10 s the notebook is run again exactly the same way, as the README says to
   ("Restart the kernel and Run All"), appending to the same log, and finishes.
3. Every file under the project with its mtime into _mtimes/nb_drive.json.
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
PROJECT = HOLDOUT / "nb_drive"
MTIMES = HOLDOUT / "_mtimes" / "nb_drive.json"
LOG = PROJECT / "drive" / "notebook_output.log"
RECONNECT_WAIT_S = 10
SKIP_DIRS = {"__pycache__", ".pytest_cache"}


def base_env():
    return dict(os.environ, OMP_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1",
                PYTHONUNBUFFERED="1")


def run_tests():
    shutil.rmtree(PROJECT / "reports", ignore_errors=True)
    subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                    "--junitxml=reports/junit.xml"], cwd=PROJECT, env=base_env(), check=True)


def notebook_as_script(folder):
    nb = json.loads((PROJECT / "train.ipynb").read_text())
    cells = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    script = folder / "run_all.py"
    script.write_text("\n\n".join(f"# --- cell {i}\n{src}" for i, src in enumerate(cells)) + "\n")
    return script


def run_all(script):
    with open(LOG, "a") as out:
        return subprocess.Popen([sys.executable, str(script)], cwd=PROJECT, env=base_env(),
                                stdout=out, stderr=subprocess.STDOUT)


def timed_saves():
    return LOG.read_text().count("] saved drive/ckpt/") if LOG.exists() else 0


def run_notebook():
    shutil.rmtree(PROJECT / "drive", ignore_errors=True)
    (PROJECT / "drive").mkdir()
    with tempfile.TemporaryDirectory() as tmp:
        script = notebook_as_script(Path(tmp))
        first = run_all(script)
        deadline = time.time() + 400
        while timed_saves() < 2:
            if first.poll() is not None or time.time() > deadline:
                raise SystemExit("first Run All ended before its second timed save")
            time.sleep(0.5)
        time.sleep(15)
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
        print(f"SIGKILL sent to pid {first.pid}; rerunning in {RECONNECT_WAIT_S} s")
        time.sleep(RECONNECT_WAIT_S)
        second = run_all(script)
        if second.wait() != 0:
            raise SystemExit(f"second Run All failed, see {LOG}")
    print("done:", sorted(p.name for p in (PROJECT / "drive" / "ckpt").iterdir()))


def record_mtimes():
    times = {}
    for path in sorted(PROJECT.rglob("*")):
        if path.is_file() and not SKIP_DIRS.intersection(path.relative_to(PROJECT).parts):
            times[path.relative_to(PROJECT).as_posix()] = round(path.stat().st_mtime, 3)
    MTIMES.write_text(json.dumps(times, indent=1, sort_keys=True) + "\n")
    print(f"recorded {len(times)} mtimes in {MTIMES}")


if __name__ == "__main__":
    if "--mtimes-only" not in sys.argv:
        run_tests()
        run_notebook()
    record_mtimes()
