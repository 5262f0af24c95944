"""Data generation speed: clips of 16x32x32 per minute for `magvit data make`; prints a Markdown table.

    .venv/bin/python bench/data_generation.py [--sizes 200,2000,10000] [--repeats 3]

Times the installed `magvit data make --n N --out /tmp/...` in a child process (median of
--repeats; the whole command, interpreter start and npz write included) and, in another
child, the library's own stages (generate, save) so the fixed start-up cost shows apart.
Target: >= 10,000 clips per minute.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import PYTHON, VENV_BIN, machine_line, median_cpu, repeat, run_child, table  # noqa: E402

STAGES = """
import json, sys, time
t0 = time.perf_counter()
from magvit import data
t1 = time.perf_counter()
clips = data.generate(n=int(sys.argv[1]), frames=16, size=32, seed=0)
t2 = time.perf_counter()
data.save(clips, sys.argv[2])
t3 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "generate": t2 - t1, "save": t3 - t2}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="200,2000,10000")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-data-"))
    try:
        print(f"<!-- {machine_line()} -->\n")
        rows = []
        for n in (int(s) for s in args.sizes.split(",")):
            out = tmp / f"d{n}.npz"
            wall, mb, runs = repeat([str(VENV_BIN / "magvit"), "data", "make", "--n", str(n), "--out", str(out)],
                                    args.repeats, ok=(0,))
            size_mb = out.stat().st_size / 1e6
            stages = [json.loads(run_child([PYTHON, "-c", STAGES, str(n), str(tmp / "s.npz")]).stdout)
                      for _ in range(args.repeats)]
            gen = statistics.median(s["generate"] for s in stages)
            save = statistics.median(s["save"] for s in stages)
            imp = statistics.median(s["import"] for s in stages)
            rows.append([n, wall, median_cpu(runs), mb, size_mb, imp, gen, save, f"{n / wall * 60:,.0f}",
                         f"{n / gen * 60:,.0f}", "yes" if n / wall * 60 >= 10_000 else "no"])
        print(f"### magvit data make, 16x32x32 clips (median of {args.repeats})\n")
        print(table(["clips", "command s", "CPU s", "peak MB", "file MB", "import s", "generate s", "save s",
                     "clips/min (command)", "clips/min (generate)", ">= 10,000/min"], rows))
        print(f"\n<!-- {machine_line()} -->")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
