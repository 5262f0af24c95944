#!/usr/bin/env python
"""Regenerate typer_st's JUnit file (reports/junit.xml) and its run (runs/base/).

    /work/sidevenv/bin/python /work/holdout6/_make/typer_st.py              # tests + run + mtimes
    /work/sidevenv/bin/python /work/holdout6/_make/typer_st.py --mtimes-only

1. The tests as CONTRIBUTING.md says: `pytest --junitxml=reports/junit.xml`.
2. The run as the README says, with the `pulsefit` console script that `pip install -e .`
   would create (a launcher in a temporary bin folder importing pulsefit.cli:app, with
   PYTHONPATH=src, so the shared side environment is left alone). Output is appended to
   runs/base/console.log as `2>&1 | tee -a runs/base/console.log` would; COLUMNS=120 stands in
   for the terminal width rich would otherwise take from a tty.
   - session 1: `pulsefit train configs/base.toml`; 30 s after its second checkpoint folder
     (step_001200) is complete the training process gets a real SIGKILL;
   - 15 s of downtime;
   - session 2: `pulsefit resume configs/base.toml` (the README's "When a run dies"), which
     runs to max_steps = 2800.
3. Every file under the project (expected.yaml aside) with its mtime into _mtimes/typer_st.json.
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
PROJECT = HOLDOUT / "typer_st"
MTIMES = HOLDOUT / "_mtimes" / "typer_st.json"
RUN = PROJECT / "runs" / "base"
LOG = RUN / "console.log"
KILL_AFTER_S = 30
DOWNTIME_S = 15
SKIP_DIRS = {"__pycache__", ".pytest_cache"}


def base_env():
    return dict(os.environ, OMP_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1")


def clean_caches():
    for name in SKIP_DIRS:
        for path in PROJECT.rglob(name):
            shutil.rmtree(path, ignore_errors=True)


def run_tests():
    shutil.rmtree(PROJECT / "reports", ignore_errors=True)
    subprocess.run([sys.executable, "-m", "pytest", "--junitxml=reports/junit.xml"],
                   cwd=PROJECT, env=base_env(), check=True)
    clean_caches()


def make_launcher(folder: Path) -> None:
    script = folder / "pulsefit"
    script.write_text(f"#!{sys.executable}\nimport sys\nfrom pulsefit.cli import app\n"
                      "if __name__ == '__main__':\n    sys.exit(app())\n")
    script.chmod(0o755)


def start(bin_dir: Path, *args: str) -> subprocess.Popen:
    env = base_env()
    env.update(PATH=f"{bin_dir}{os.pathsep}{env['PATH']}", PYTHONPATH=str(PROJECT / "src"),
               COLUMNS="120")
    out = open(LOG, "ab")
    return subprocess.Popen(["nice", "-n", "10", "pulsefit", *args], cwd=PROJECT, env=env,
                            stdout=out, stderr=subprocess.STDOUT)


def complete_checkpoints():
    root = RUN / "checkpoints"
    return sorted(p.name for p in root.glob("step_*") if (p / "meta.json").exists()) if root.is_dir() else []


def run_training():
    shutil.rmtree(PROJECT / "runs", ignore_errors=True)
    RUN.mkdir(parents=True)  # the README's `mkdir -p runs/base`
    with tempfile.TemporaryDirectory() as tmp:
        bin_dir = Path(tmp)
        make_launcher(bin_dir)

        first = start(bin_dir, "train", "configs/base.toml")
        deadline = time.time() + 400
        while len(complete_checkpoints()) < 2:
            if first.poll() is not None or time.time() > deadline:
                raise SystemExit("session 1 ended before its second checkpoint")
            time.sleep(0.5)
        time.sleep(KILL_AFTER_S)
        os.kill(first.pid, signal.SIGKILL)  # nice execs, so this is the python process
        first.wait()
        print("SIGKILL after", complete_checkpoints(), flush=True)
        time.sleep(DOWNTIME_S)

        second = start(bin_dir, "resume", "configs/base.toml")
        if second.wait() != 0:
            raise SystemExit(f"session 2 failed, see {LOG}")
    clean_caches()
    print("done:", complete_checkpoints())


def record_mtimes():
    times = {}
    for path in sorted(PROJECT.rglob("*")):
        rel = path.relative_to(PROJECT)
        if path.is_file() and not SKIP_DIRS.intersection(rel.parts) and rel.as_posix() != "expected.yaml":
            times[rel.as_posix()] = round(path.stat().st_mtime, 3)
    MTIMES.write_text(json.dumps(times, indent=1, sort_keys=True) + "\n")
    print(f"recorded {len(times)} mtimes in {MTIMES}")


if __name__ == "__main__":
    if "--mtimes-only" not in sys.argv:
        run_tests()
        run_training()
    record_mtimes()
