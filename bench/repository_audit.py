"""`audit check` of this repository with a 100-checkpoint run: wall and CPU time, and where they go.

    .venv/bin/python bench/repository_audit.py [--repeats 9] [--baseline REV ...]

Target (issue 4): under 1 s, loading no checkpoint tensor. Builds a run directory of 100 of
our checkpoints under /tmp (1 KiB .pt files, every 10th a 101 MB sparse file; deleted
afterwards) and times `audit check --project <this repository> --run RUN --format json` in
child processes, `--repeats` times after one warm-up run, as the median wall and CPU seconds
(user + system, from wait4) and peak RSS. The children may write Python's bytecode cache
(PYTHONDONTWRITEBYTECODE is removed from their environment), as a user's Python does.

--baseline REV (repeatable) also times the auditor of an earlier commit on the same
repository tree and run: `auditor/` and `rules/` of REV are extracted with `git archive`
into /tmp and put first on PYTHONPATH. The variants run interleaved (one child of each per
round), so that the machine's load affects them alike; the ratio to the working tree is the
figure that holds under load.

Then one child of the working tree's auditor times its own stages in-process, in CPU
seconds (time.process_time: less moved by the load than wall time; the later rounds are the
median of --repeats - 1): interpreter start-up (`python -c pass`), imports, configuration and rules,
each evidence collector, the evaluation of the probes and the JSON rendering. And one child
records, with an audit hook installed before `auditor` is imported, how many `.pt` files
it opened and whether `torch` was imported.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from auditor_scaling import TRACED, build_ours, traced_result  # noqa: E402
from common import PYTHON, ROOT, machine_line, run_child, table  # noqa: E402

AUDIT = "import sys; from auditor.cli import main; main(sys.argv[1:])"

STAGES = r"""
import json, sys, time
from pathlib import Path
project, run, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
t = time.process_time()
import click  # noqa: F401  (what the CLI module needs before any of the auditor's own)
import auditor.cli  # noqa: F401
imports = {"click and auditor.cli": time.process_time() - t}
t = time.process_time()
from auditor import engine  # the probes, and with them the evidence modules and their libraries
from auditor.config import load_config
from auditor.evidence import Evidence
from auditor.render import render
from auditor.rules import load_rules
imports["engine, probes, evidence, rules"] = time.process_time() - t
stages = {}
for _ in range(rounds):  # later rounds: modules imported, nothing else cached
    times = dict(imports)
    t = time.process_time()
    config = load_config(project)
    rules = load_rules(engine.resolve_rules_dir(config, None))
    times["configuration and rules"] = time.process_time() - t
    ev = Evidence(config, Path(run))
    for kind in ("docs", "code", "tests", "tdd", "run"):
        t = time.process_time()
        getattr(ev, kind)
        times[f"evidence: {kind}"] = time.process_time() - t
    t = time.process_time()
    result = engine.evaluate(rules, ev, gate="prelaunch", date="2026-01-01", project=project, run_dir=run,
                             rules_dir="rules")
    times["probes (evidence collected)"] = time.process_time() - t
    t = time.process_time()
    render(result, "json")
    times["render json"] = time.process_time() - t
    for k, v in times.items():
        stages.setdefault(k, []).append(v)
    imports = {k: 0.0 for k in imports}  # only the first round pays for them
print(json.dumps({k: [v[0], v[1:]] for k, v in stages.items()}))
"""


def extract(rev: str, dest: Path) -> Path:
    """auditor/ and rules/ of commit `rev` under dest/<rev>, for PYTHONPATH."""
    out = dest / rev.replace("/", "_")
    out.mkdir(parents=True)
    data = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "auditor", "rules"], check=True,
                          capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(out, filter="data")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--baseline", action="append", default=[], metavar="REV",
                        help="also time the auditor of this commit (repeatable)")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-repo-audit-"))
    try:
        run = build_ours(tmp / "run", 100, big_every=10)
        variants = {"working tree": ROOT}
        for rev in args.baseline:
            short = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", rev], check=True,
                                   capture_output=True, text=True).stdout.strip()
            variants[f"{rev} ({short})" if short != rev else rev] = extract(rev, tmp / "revs")
        cmd = [PYTHON, "-c", AUDIT, "check", "--project", str(ROOT), "--run", str(run), "--format", "json",
               "--date", "2026-01-01"]
        print(f"<!-- {machine_line()} -->\n")
        for code in variants.values():  # warm-up: writes the bytecode cache, reads the files into the page cache
            run_child(cmd, env={"PYTHONPATH": str(code)}, cwd=tmp)
        runs: dict[str, list] = {name: [] for name in variants}
        for _ in range(args.repeats):
            for name, code in variants.items():
                # cwd outside the repository, so that PYTHONPATH alone decides which auditor runs
                r = run_child(cmd, env={"PYTHONPATH": str(code)}, cwd=tmp)
                if r.returncode not in (0, 1):
                    raise SystemExit(f"{name}: audit check exited {r.returncode}:\n{r.stderr[-2000:]}")
                runs[name].append(r)
        base_wall = statistics.median(r.wall_s for r in runs["working tree"])
        base_cpu = statistics.median(r.cpu_s for r in runs["working tree"])
        rows = []
        for name, rs in runs.items():
            wall, cpu = statistics.median(r.wall_s for r in rs), statistics.median(r.cpu_s for r in rs)
            rows.append([name, wall, min(r.wall_s for r in rs), cpu, statistics.median(r.peak_mb for r in rs),
                         f"{wall / base_wall:.2f}", f"{cpu / base_cpu:.2f}",
                         # round by round: other work may change the repository between rounds
                         f"{sum(r.stdout == w.stdout for r, w in zip(rs, runs['working tree']))}/{len(rs)}"])
        print(f"### audit check --project . --run <100 checkpoints> --format json (median of {args.repeats}, "
              "interleaved)\n")
        print(table(["auditor", "wall s", "best wall s", "CPU s", "peak MB", "wall / working tree",
                     "CPU / working tree", "rounds with the same JSON"], rows))

        start = [run_child([PYTHON, "-c", "pass"]) for _ in range(args.repeats)]
        r = run_child([PYTHON, "-c", STAGES, str(ROOT), str(run), str(args.repeats)], env={"PYTHONPATH": str(ROOT)},
                      cwd=tmp)
        if r.returncode != 0:
            raise SystemExit(f"stages child failed:\n{r.stderr[-2000:]}")
        stages = json.loads(r.stdout.strip().splitlines()[-1])
        rows = [["interpreter start-up (python -c pass)", statistics.median(c.cpu_s for c in start), ""]]
        total_first = rows[0][1]
        for name, (first, later) in stages.items():
            rows.append([name, first, statistics.median(later) if later and name.startswith(("evidence", "probes",
                         "render", "configuration")) else ""])
            total_first += first
        rows.append(["sum", total_first, ""])
        print(f"\n### where the time goes (working tree, one child; later rounds: median of {args.repeats - 1})\n")
        print(table(["stage", "first round CPU s", "later rounds CPU s"], rows))

        trace = traced_result(run_child([PYTHON, "-c", TRACED, "check", "--project", str(ROOT), "--run", str(run),
                                         "--format", "json"], env={"PYTHONPATH": str(ROOT)}, cwd=tmp).stderr)
        print(f"\n.pt files opened: {trace['pt_opened']}; torch imported: {trace['torch_imported']}")
        print(f"\n<!-- {machine_line()} -->")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    os.environ.pop("PYTHONPATH", None)
    # a user's Python caches compiled modules; without the cache every run compiles the auditor
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    main()
