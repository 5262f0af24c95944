"""Resume latency by phase: where a resumed trainer's seconds go before its first step.

Makes a data set and a run directory with a few checkpoints of the given config (one short
`magvit train` session stopped by --time-limit), then resumes a fresh copy of that run
directory --repeats times with the working tree's trainer and, with --compare REV, with the
trainer of git revision REV (its `magvit/` package from `git archive`, first on PYTHONPATH),
alternating the two so that machine load hits both alike. Each resumed process stamps the
end of each phase by wrapping the trainer's own functions (timing only; they run unchanged):

    imports        python start -> torch, magvit.train and magvit.cli imported
    deterministic  -> deterministic mode and the thread count set (trainer.deterministic)
    data + find    -> data set loaded and fingerprinted, checkpoint found and its sha256 verified
    load           -> torch.load of the chosen checkpoint, config and data checks
    build          -> models and optimizers built from the seed
    restore        -> their state and the RNGs put back
    first step     -> the first resumed training step done

and the table gives the median over the repeats of each phase's wall and CPU seconds (CPU: all
threads of the process; on a loaded machine it says more than the wall time).

    python bench/resume_latency.py --compare fefc940 --repeats 5    # the default config, about 3 minutes
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine_line, table  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
PHASES = ("imports", "deterministic", "data + find", "load", "build", "restore", "first step")

# The resumed process: wrap the phase functions with a stamp at their end, then run the CLI.
_STAMPED = """
import sys, time
STARTED = float(sys.argv.pop(1))
import contextlib, torch, magvit.train as T, magvit.resume as R
from magvit.cli import main
def stamp(name):
    print(f"PHASE {name} {time.time() - STARTED:.4f} {time.process_time():.4f}", flush=True)
stamp("imports")
def after(fn, name):
    def wrapped(*a, **k):
        out = fn(*a, **k)
        stamp(name)
        return out
    return wrapped
_det = T.deterministic
@contextlib.contextmanager
def deterministic(*a, **k):
    with _det(*a, **k):
        stamp("deterministic")
        yield
T.deterministic = deterministic
R.find_resume_point = after(R.find_resume_point, "data + find")  # called by resume_point_and_clean
T.load_checkpoint = after(T.load_checkpoint, "load")
T.build = after(T.build, "build")
T.restore = after(T.restore, "restore")
_step = T.Session.train_step
def train_step(self, *a, **k):
    out = _step(self, *a, **k)
    if not getattr(self, "_stamped", False):
        self._stamped = True
        stamp("first step")
    return out
T.Session.train_step = train_step
sys.argv = ["magvit"] + sys.argv[1:]
main()
"""


def resume_once(source: Path, command: list[str], run_dir: Path, template: Path) -> dict[str, tuple[float, float]]:
    """Resume a fresh copy of `template` with the trainer in `source`; per phase, when it ended:
    (wall seconds since the process started, CPU seconds of the process by then)."""
    shutil.rmtree(run_dir, ignore_errors=True)
    shutil.copytree(template, run_dir)
    env = {"PYTHONPATH": str(source), "PATH": "/usr/bin:/bin", "PYTHONUNBUFFERED": "1"}
    started = time.time()
    result = subprocess.run([sys.executable, "-c", _STAMPED, f"{started:.6f}", *command, "--time-limit", "1s"],
                            cwd=tempfile.gettempdir(), env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"resume with {source} failed ({result.returncode}):\n{result.stderr[-2000:]}")
    stamps = {}
    for line in result.stdout.splitlines():
        if line.startswith("PHASE "):
            name, wall, cpu = line[len("PHASE "):].rsplit(" ", 2)
            stamps.setdefault(name, (float(wall), float(cpu)))
    if "resuming from" not in result.stdout:
        raise SystemExit(f"{source}: the session did not resume:\n{result.stdout[-2000:]}")
    return stamps


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", type=Path, default=REPO / "magvit/configs/default.yaml")
    parser.add_argument("--first-session", default="25s", help="time limit of the session that makes the checkpoints")
    parser.add_argument("--checkpoint-every", default="10s")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--compare", default=None, help="git revision whose trainer is measured too")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="resume-bench-"))
    try:
        sources = {"working tree": REPO}
        if args.compare:
            other = work / "compare"
            other.mkdir()
            archive = subprocess.run(["git", "archive", args.compare, "magvit"], cwd=REPO, capture_output=True, check=True)
            subprocess.run(["tar", "-x", "-C", str(other)], input=archive.stdout, check=True)
            sources = {args.compare: other, "working tree": REPO}
        data = work / "data.npz"
        subprocess.run([sys.executable, "-m", "magvit", "data", "make", "--out", str(data)], cwd=REPO, check=True,
                       capture_output=True)
        template = work / "template"
        command = ["train", "--config", str(args.config.resolve()), "--data", str(data), "--run-dir", str(work / "run"),
                   "--checkpoint-every", args.checkpoint_every]
        subprocess.run([sys.executable, "-m", "magvit", *command[:-2], "--run-dir", str(template),
                        "--checkpoint-every", args.checkpoint_every, "--time-limit", args.first_session],
                       cwd=REPO, check=True, capture_output=True)
        checkpoints = sorted(p.name for p in (template / "checkpoints").glob("*.pt"))
        size_mb = max(p.stat().st_size for p in (template / "checkpoints").glob("*.pt")) / 1e6
        print(f"run directory with {len(checkpoints)} checkpoints ({', '.join(checkpoints)}), up to {size_mb:.1f} MB",
              flush=True)

        runs: dict[str, list[dict[str, tuple[float, float]]]] = {name: [] for name in sources}
        for i in range(args.repeats):
            for name, source in sources.items():
                runs[name].append(resume_once(source, command, work / "run", template))
                print(f"  {name} #{i + 1}: first step at {runs[name][-1]['first step'][0]:.2f} s",
                      flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    def phase_took(name: str, i: int, which: int) -> float:
        """Median over the repeats of the time phase i took (wall: which=0, CPU: which=1)."""
        return statistics.median(r[PHASES[i]][which] - (r[PHASES[i - 1]][which] if i else 0.0) for r in runs[name])

    headers = ["phase"] + [f"{n}: {kind} (s)" for n in runs for kind in ("wall", "CPU")]
    rows = [[phase] + [phase_took(n, i, w) for n in runs for w in (0, 1)] for i, phase in enumerate(PHASES)]
    rows.append(["start -> first step"] + [statistics.median(r["first step"][w] for r in runs[n])
                                           for n in runs for w in (0, 1)])
    print()
    print(machine_line())
    print(f"median of {args.repeats} resumes each, config {args.config.name}")
    print(table(headers, rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
