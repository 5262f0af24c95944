"""The auditor as a user installs it: the wheel's size, and the time and size of its install.

    .venv/bin/python bench/wheel_install.py [--repeats 3]

Builds the wheel once with `python -m build --wheel` (from a copy of the repository's files),
then `--repeats` times creates a fresh venv and times `pip install <wheel>` into it (the
dependencies come from pip's configured index and cache, as on a user's machine that has
installed Python packages before), and the same for `pip install '<wheel>[train]'`. Sizes
are the venv's bytes on disk less those of an empty venv. Also timed: `audit --version` and
`python -X importtime -c "import auditor.cli"` in the auditor-only venv (median wall, and
the import time that Python itself reports for auditor.cli).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import PYTHON, ROOT, machine_line  # noqa: E402


def _tree_bytes(path: Path) -> int:
    total = 0
    for dirpath, _dirs, files in os.walk(path):
        for name in files:
            p = Path(dirpath) / name
            if not p.is_symlink():
                total += p.stat().st_blocks * 512
    return total


def build(work: Path) -> Path:
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout.split("\n")
    src = work / "src"
    for rel in filter(None, listed):
        if rel.startswith("tests/corpus/") or not (ROOT / rel).is_file():
            continue
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, src / rel)
    subprocess.run([PYTHON, "-m", "build", "--wheel", "--outdir", str(work / "dist"), str(src)], check=True,
                   capture_output=True)
    (wheel,) = (work / "dist").glob("*.whl")
    return wheel


def install(work: Path, target: str, name: str) -> tuple[float, int, int, Path]:
    """Seconds of `pip install target` into a fresh venv, its added bytes, the packages installed."""
    venv = work / name
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    empty = _tree_bytes(venv)
    before = set(_packages(venv))
    start = time.perf_counter()
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    target], check=True, capture_output=True)
    seconds = time.perf_counter() - start
    return seconds, _tree_bytes(venv) - empty, len(set(_packages(venv)) - before), venv


def _packages(venv: Path) -> list[str]:
    out = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "list", "--format=freeze",
                          "--disable-pip-version-check"], capture_output=True, text=True, check=True).stdout
    return [line.split("==")[0].lower() for line in out.splitlines() if line]


def import_ms(venv: Path) -> float:
    done = subprocess.run([str(venv / "bin" / "python"), "-X", "importtime", "-c", "import auditor.cli"],
                          capture_output=True, text=True, check=True)
    line = next(x for x in done.stderr.splitlines() if x.rstrip().endswith("| auditor.cli"))
    return int(re.split(r"\s*\|\s*", line)[1]) / 1000  # the cumulative microseconds of auditor.cli


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-wheel-") as tmp:
        work = Path(tmp)
        wheel = build(work)
        rows = []
        for label, target in (("auditor only", str(wheel)), ("with [train]", f"{wheel}[train]")):
            runs = [install(work, target, f"venv-{label[:4]}-{i}") for i in range(args.repeats)]
            seconds = statistics.median(r[0] for r in runs)
            rows.append((label, seconds, runs[-1][1], runs[-1][2]))
            if label == "auditor only":
                venv = runs[-1][3]
                imports = statistics.median(import_ms(venv) for _ in range(5))
                has_torch = "torch" in _packages(venv)
        print(f"<!-- {machine_line()} -->")
        print(f"wheel: `{wheel.name}`, {wheel.stat().st_size / 1024:.0f} KiB\n")
        print("| install | median time (s) | added to the venv (MB) | packages installed |")
        print("|---|---|---|---|")
        for label, seconds, size, count in rows:
            print(f"| `pip install` {label} | {seconds:.1f} | {size / 1e6:.0f} | {count} |")
        ratio = rows[1][2] / rows[0][2] if rows[0][2] else float("nan")
        print(f"\nthe train extra adds {ratio:.0f}x the bytes; torch in the auditor-only venv: {has_torch}; "
              f"`import auditor.cli` there: {imports:.0f} ms (median of 5, -X importtime cumulative)")


if __name__ == "__main__":
    main()
