"""Instructions executed by a cold `audit check`, counted by valgrind's callgrind: a figure that the
machine's load and its neighbours do not move, for comparing two auditors where CPU seconds
(bench/audit_cpu.py) vary by a third from one hour to the next on a shared virtual machine.

    .venv/bin/python bench/audit_instructions.py [--baseline REV ...] [--only NAME ...] [--jobs N]

Each input (this repository's tree at HEAD and the corpus projects, staged as bench/audit_cpu.py
stages them) is audited once per variant, as the `audit` program starts, with an empty cache
folder: the first audit on a machine. Under callgrind an audit runs about fifty times slower,
so `--only` picks inputs (this repository alone takes about two minutes). Counts repeat to
within a tenth of a percent; the ratio to the baseline is the figure to quote. Needs valgrind.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from audit_cpu import AUDIT, DATE, extract, inputs  # noqa: E402
from common import PYTHON, ROOT, machine_line, table  # noqa: E402

COLLECTED = re.compile(r"Collected : (\d+)")


def instructions(code: Path, project: Path, run: Path | None, scratch: Path) -> int:
    """Instructions of one cold `audit check` of `project` by the auditor at `code`."""
    cache = Path(tempfile.mkdtemp(prefix="cache-", dir=scratch))
    out = cache / "callgrind.out"
    cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", PYTHON, "-c", AUDIT, "check",
           "--project", str(project), "--format", "json", "--date", DATE, *(["--run", str(run)] if run else [])]
    env = {"PYTHONPATH": str(code), "AUDIT_CACHE_DIR": str(cache / "audit"), "PATH": "/usr/bin:/bin"}
    (cache / "audit").mkdir(mode=0o700)
    done = subprocess.run(cmd, env=env, cwd=scratch, capture_output=True, text=True, timeout=3600)
    found = COLLECTED.search(done.stderr)
    shutil.rmtree(cache, ignore_errors=True)
    if found is None:
        raise SystemExit(f"callgrind counted nothing for {project}:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", action="append", default=[], metavar="REV")
    parser.add_argument("--only", action="append", default=[], metavar="NAME", help="inputs whose name contains NAME")
    parser.add_argument("--jobs", type=int, default=2, help="audits counted at once (one CPU each)")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed: instructions cannot be counted here")
    with tempfile.TemporaryDirectory(prefix="audit-instructions-") as tmp_name:
        tmp = Path(tmp_name)
        cases = inputs(tmp, args.only)
        codes = {"working tree": ROOT}
        for rev in args.baseline:
            codes[rev] = extract(rev, tmp / f"code-{rev}", ("auditor", "rules"))
        for code in codes.values():  # compiled modules, as an installed auditor has them: not counted
            subprocess.run([PYTHON, "-m", "compileall", "-q", str(code / "auditor")], check=True, capture_output=True)
        jobs = [(variant, name) for name in cases for variant in codes]
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            counts = dict(zip(jobs, pool.map(
                lambda job: instructions(codes[job[0]], *cases[job[1]], tmp), jobs)))
    head = ["input", *(f"{v} (M instructions)" for v in codes),
            *(f"ratio to {v}" for v in list(codes)[1:])]
    rows = [[name, *(f"{counts[(v, name)] / 1e6:,.0f}" for v in codes),
             *(f"{counts[('working tree', name)] / counts[(v, name)]:.3f}" for v in list(codes)[1:])]
            for name in cases]
    print(table(head, rows))
    print(f"\n<!-- {machine_line()} -->")
    return 0


if __name__ == "__main__":
    sys.exit(main())
