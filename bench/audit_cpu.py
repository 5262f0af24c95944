"""CPU seconds of `audit check`, whole and per evidence kind: this repository and every corpus project.

    .venv/bin/python bench/audit_cpu.py [--repeats 5] [--baseline REV ...] [--only NAME ...]

Targets (issue 15, "Speed held"): an audit of this repository under 1 s CPU, a corpus
project under 0.5 s. Inputs: this repository's tree at HEAD (extracted with `git archive`,
so that uncommitted files and run outputs do not count), alone and with
tests/fixtures/compliant_run as its run, and each tests/corpus project staged as
bench/corpus_score.py stages it (no labels, recorded mtimes, no configuration).

Five children per input and round, each median of --repeats:

- `audit check --format json` as a user runs it (auditor.launch, the console script's entry), five times: CPU seconds (user + system, from
  wait4), interpreter start-up and imports included. Cold: the first audit on this machine, its
  cache folder (auditor.colcache, auditor.rxcache) fresh and empty; new project: the first audit
  of this project by an auditor that has run before, the folder holding only the compiled
  regular expressions; warm: the same audit again with nothing changed (the outputs of these
  three are compared); test edited: warm, but the project's first test file has one test more
  (the tests column judges that file again: auditor.evidence.testindex), then put back; source
  edited: warm, but the first file the code column reads has one line more (a comment: the code
  column, whole-program facts, is computed again), then put back;
- one child that runs the same steps in-process with no cache (AUDIT_NO_CACHE=1), with the
  garbage collector's threshold that auditor's CLI sets (if any), and times each with
  time.process_time(): imports, configuration with discovery and rules, each evidence
  collector, the probes and the JSON rendering.

--baseline REV (repeatable) also times the auditor of an earlier commit (its auditor/ and
rules/ on PYTHONPATH) on the same inputs, interleaved round by round with the working tree,
so that the machine's load touches them alike; the ratio is the figure that holds under load.
Each variant's JSON output is compared with the working tree's, input by input.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import PYTHON, ROOT, machine_line, run_child, table  # noqa: E402
from corpus_score import projects as corpus_projects  # noqa: E402
from corpus_score import stage as stage_corpus  # noqa: E402

# as the `audit` program starts (auditor.launch); an auditor older than the launcher, from its command line
AUDIT = ("import sys\ntry:\n    from auditor.launch import main\nexcept ImportError:\n    from auditor.cli import main\n"
         "main(sys.argv[1:])")
DATE = "2026-01-25"
KINDS = ("docs", "code", "tests", "tdd", "run")

STAGES = r"""
import json, sys, time
from pathlib import Path
project, run = sys.argv[1], (sys.argv[2] or None)
t = time.process_time()
import gc
import auditor.cli
gc.set_threshold(getattr(auditor.cli, "GC_THRESHOLD", gc.get_threshold()[0]), *gc.get_threshold()[1:])  # as its CLI
from auditor import engine
from auditor.config import load_config
from auditor.evidence import Evidence
from auditor.render import render
from auditor.resolve import resolve
from auditor.rules import load_rules
times = {"imports": time.process_time() - t}
t = time.process_time()
config = resolve(load_config(project))
run_path = Path(run) if run else config.default_run_dir()
rules = load_rules(engine.resolve_rules_dir(config, None))
times["configuration, discovery, rules"] = time.process_time() - t
ev = Evidence(config, run_path)
for kind in ("docs", "code", "tests", "tdd", "run"):
    t = time.process_time()
    getattr(ev, kind)
    times[kind] = time.process_time() - t
t = time.process_time()
result = engine.evaluate(rules, ev, gate="prelaunch", date="2026-01-25", project=project, run_dir=run, rules_dir="rules")
render(result, "json")
times["probes and render"] = time.process_time() - t
print(json.dumps({**times, "code files": list(ev.code.files)}))
"""


def extract(rev: str, dest: Path, paths: tuple[str, ...]) -> Path:
    """`paths` of commit `rev` under `dest`."""
    dest.mkdir(parents=True)
    data = subprocess.run(["git", "-C", str(ROOT), "archive", rev, *paths], check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(dest, filter=_links_out_kept)
    return dest


def _links_out_kept(member: tarfile.TarInfo, path: str) -> tarfile.TarInfo:
    """The "data" filter, but a symbolic link to an absolute path is extracted as it is: corpus
    runs hold such links on purpose (wandb_offline's links to the author's checkpoints), as data
    the auditor must refuse to follow; nothing here follows them."""
    if member.issym() and member.linkname.startswith("/"):
        return member
    return tarfile.data_filter(member, path)


def inputs(tmp: Path, only: list[str]) -> dict[str, tuple[Path, Path | None]]:
    """name -> (project, run directory or None): this repository at HEAD and the staged corpus."""
    repo = extract("HEAD", tmp / "repo", ())
    found = {"this repository": (repo, None),
             "this repository + compliant_run": (repo, repo / "tests" / "fixtures" / "compliant_run")}
    corpus = repo / "tests" / "corpus"
    for name in corpus_projects(corpus):
        found[f"corpus/{name}"] = (stage_corpus(name, tmp / "corpus", corpus), None)
    return {k: v for k, v in found.items() if not only or any(o in k for o in only)}


def measure(code: Path, project: Path, run: Path | None,
            cwd: Path) -> tuple[list[float], dict[str, float], str, bool]:
    """([cold, new project, warm, test edited, source edited] CPU s, stage times, cold output, whether
    the first three outputs are the same).

    Cold: the first audit, its cache folder empty; new project: the folder holds only the
    compiled patterns the cold audit kept (auditor.rxcache); warm: the same audit again,
    nothing changed; test edited: warm, but one test file has a test more. The stages child runs with no cache at all, so its columns show the work
    a cold audit does."""
    cache, other = (Path(tempfile.mkdtemp(prefix="cache-", dir=cwd)) for _ in range(2))
    env = {"PYTHONPATH": str(code), "AUDIT_CACHE_DIR": str(cache)}
    cmd = [PYTHON, "-c", AUDIT, "check", "--project", str(project), "--format", "json", "--date", DATE]
    cmd += ["--run", str(run)] if run else []
    cold = run_child(cmd, env=env, cwd=cwd)
    for kept in cache.glob("regex-*.json"):
        shutil.copy2(kept, other / kept.name)
    first = run_child(cmd, env={**env, "AUDIT_CACHE_DIR": str(other)}, cwd=cwd)
    warm = run_child(cmd, env=env, cwd=cwd)
    edited = _with_a_test_added(project, lambda: run_child(cmd, env=env, cwd=cwd))
    staged = run_child([PYTHON, "-c", STAGES, str(project), str(run or "")], env={**env, "AUDIT_NO_CACHE": "1"},
                       cwd=cwd)
    if staged.returncode != 0:
        raise SystemExit(f"stages child on {project} failed:\n{staged.stderr[-2000:]}")
    times = json.loads(staged.stdout.strip().splitlines()[-1])
    files = times.pop("code files")
    run_child(cmd, env=env, cwd=cwd)  # the test file is back: the index takes its record again
    changed = _with_a_line_added(project / files[0], lambda: run_child(cmd, env=env, cwd=cwd)) if files else None
    for folder in (cache, other):
        shutil.rmtree(folder, ignore_errors=True)
    for whole in (cold, first, warm):
        if whole.returncode not in (0, 1):
            raise SystemExit(f"audit check {project} exited {whole.returncode}:\n{whole.stderr[-2000:]}")
    same = cold.stdout == first.stdout == warm.stdout
    cpus = [cold.cpu_s, first.cpu_s, warm.cpu_s, *(e.cpu_s if e is not None else float("nan") for e in (edited, changed))]
    return cpus, times, cold.stdout, same


EDIT = "\n\ndef test_added_by_the_bench():\n    assert 1 + 1 == 2\n"


def _with_a_test_added(project: Path, audit: Callable[[], Any]) -> Any:
    """audit() with a test appended to the project's first test file (None when it has none); the
    file, its text and its mtime, are put back afterwards (the TDD column reads mtimes)."""
    found = sorted(project.glob("tests/**/test_*.py"))
    if not found:
        return None
    target = found[0]
    text, st = target.read_bytes(), target.stat()
    target.write_bytes(text + EDIT.encode())
    try:
        return audit()
    finally:
        target.write_bytes(text)
        os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))


def _with_a_line_added(source: Path, audit: Callable[[], Any]) -> Any:
    """audit() with a comment line appended to `source`, then the file put back as it was."""
    text, st = source.read_bytes(), source.stat()
    source.write_bytes(text + b"\n# a line added by the bench\n")
    try:
        return audit()
    finally:
        source.write_bytes(text)
        os.utime(source, ns=(st.st_atime_ns, st.st_mtime_ns))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--baseline", action="append", default=[], metavar="REV")
    parser.add_argument("--only", action="append", default=[], metavar="NAME", help="inputs whose name contains NAME")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-audit-cpu-"))
    try:
        cases = inputs(tmp, args.only)
        variants = {"working tree": ROOT}
        for rev in args.baseline:
            short = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", rev], check=True,
                                   capture_output=True, text=True).stdout.strip()
            variants[rev if short == rev else f"{rev} ({short})"] = extract(rev, tmp / "revs" / short,
                                                                            ("auditor", "rules"))
        print(f"<!-- {machine_line()} -->\n")
        whole: dict[tuple[str, str], list[list[float]]] = {}  # [cold, new project, warm, test, source edited] per round
        stages: dict[tuple[str, str], list[dict[str, float]]] = {}
        outputs: dict[tuple[str, str], str] = {}
        same: dict[tuple[str, str], bool] = {}
        for code in variants.values():  # warm-up: bytecode caches, page cache
            measure(code, *next(iter(cases.values())), cwd=tmp)
        for _ in range(args.repeats):
            for name, (project, run) in cases.items():
                for variant, code in variants.items():
                    cpus, times, out, alike = measure(code, project, run, cwd=tmp)
                    whole.setdefault((variant, name), []).append(cpus)
                    stages.setdefault((variant, name), []).append(times)
                    outputs[(variant, name)] = out.replace(str(tmp), "<tmp>")
                    same[(variant, name)] = same.get((variant, name), True) and alike
        for variant in variants:
            print(f"### {variant}: CPU seconds, median of {args.repeats}\n")
            rows = []
            for name in cases:
                med = {k: statistics.median(t[k] for t in stages[(variant, name)]) for k in stages[(variant, name)][0]}
                target = 1.0 if name.startswith("this repository") else 0.5
                cpus = [statistics.median(r[i] for r in whole[(variant, name)]) for i in range(5)]
                rows.append([name, *(x for cpu in cpus for x in (("-", "-") if math.isnan(cpu) else
                                                                  (cpu, "yes" if cpu < target else "NO"))),
                             "same" if same[(variant, name)] else "DIFFERENT", med["imports"],
                             med["configuration, discovery, rules"], *(med[k] for k in KINDS),
                             med["probes and render"]])
            print(table(["input", "cold CPU s", "under target", "new project CPU s", "under target", "warm CPU s",
                         "under target", "test edited CPU s", "under target", "source edited CPU s", "under target",
                         "outputs", "imports", "config+discovery+rules", *KINDS, "probes+render"],
                        rows))
            print()
        for variant in list(variants)[1:]:
            rows = []
            for name in cases:
                a, b = (statistics.median(r[0] for r in whole[(v, name)]) for v in (variant, "working tree"))
                rows.append([name, a, b, f"{b / a:.2f}",
                             "same" if outputs[(variant, name)] == outputs[("working tree", name)] else "DIFFERENT"])
            print(f"### working tree against {variant}\n")
            print(table(["input", f"{variant} CPU s", "working tree CPU s", "ratio", "JSON output"], rows))
            print()
        print(f"<!-- {machine_line()} -->")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    os.environ.pop("PYTHONPATH", None)
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)  # a user's Python caches compiled modules
    main()
