"""Deep verification throughput: `audit check --verify-checksums` against `sha256sum`; prints Markdown tables.

    .venv/bin/python bench/verify_checksums.py [--files 10] [--mb 50] [--repeats 3]

Writes a run of --files checkpoints of --mb MB each (real bytes, manifests with their true
sha256) under /tmp, warms the page cache, then times (median of --repeats, child processes):
  sha256sum FILES                                  the reference
  audit check --run DIR                            the same audit without hashing (its fixed cost)
  audit check --run DIR --verify-checksums         hashing every checkpoint
The audit's hashing throughput is bytes / (verify - plain); the target is >= 80% of sha256sum's.
It also times the hash loop alone in a child (auditor.evidence.run._sha256) against
hashlib.file_digest, for the buffer size's share.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import PYTHON, VENV_BIN, machine_line, median_cpu, repeat, table  # noqa: E402

HASH_LOOP = """
import hashlib, sys, time
from pathlib import Path
from auditor.evidence.run import _sha256
paths = [Path(p) for p in sys.argv[2:]]
t = time.perf_counter()
if sys.argv[1] == "auditor":
    for p in paths:
        _sha256(p)
else:
    for p in paths:
        with open(p, "rb") as fh:
            hashlib.file_digest(fh, "sha256").hexdigest()
print(time.perf_counter() - t)
"""


def build(root: Path, files: int, mb: int) -> list[Path]:
    ck = root / "checkpoints"
    ck.mkdir(parents=True)
    block = os.urandom(1 << 20)
    paths = []
    for i in range(1, files + 1):
        name = f"step-{i:08d}.pt"
        h = hashlib.sha256()
        with open(ck / name, "wb") as fh:
            for j in range(mb):
                chunk = block[j % 7:] + block[:j % 7]  # not all blocks equal
                fh.write(chunk)
                h.update(chunk)
        (ck / f"step-{i:08d}.json").write_text(json.dumps({
            "format": "magvit-checkpoint/1", "file": name, "kind": "periodic", "step": i, "epoch": 0,
            "wall_time": 1000.0 + 120 * i, "size_bytes": mb << 20, "sha256": h.hexdigest()}))
        paths.append(ck / name)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10)
    parser.add_argument("--mb", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-verify-"))
    try:
        project = tmp / "project"
        project.mkdir()
        run = tmp / "run"
        paths = build(run, args.files, args.mb)
        total_mb = args.files * args.mb * (1 << 20) / 1e6
        files = [str(p) for p in paths]
        print(f"<!-- {machine_line()} -->\n")
        repeat(["sha256sum", *files], 1, ok=(0,))  # page cache warm for everyone
        audit = [str(VENV_BIN / "audit"), "check", "--project", str(project), "--run", str(run), "--format", "json"]
        rows = []
        sha_wall, _, sha_runs = repeat(["sha256sum", *files], args.repeats, ok=(0,))
        plain_wall, _, plain_runs = repeat(audit, args.repeats)
        ver_wall, _, ver_runs = repeat([*audit, "--verify-checksums"], args.repeats)
        if any('"invalid": 0' not in r.stdout for r in ver_runs):
            raise SystemExit("the verified audit found an invalid checkpoint: the benchmark's manifests are wrong")
        hashing = ver_wall - plain_wall
        rows.append(["sha256sum", sha_wall, median_cpu(sha_runs), total_mb / sha_wall, "100%"])
        rows.append(["audit check (no hashing)", plain_wall, median_cpu(plain_runs), "", ""])
        rows.append(["audit check --verify-checksums", ver_wall, median_cpu(ver_runs), "", ""])
        rows.append(["  its hashing (difference)", hashing, median_cpu(ver_runs) - median_cpu(plain_runs),
                     total_mb / hashing, f"{sha_wall / hashing:.0%}"])
        for label, mode in (("hash loop alone: auditor _sha256", "auditor"),
                            ("hash loop alone: hashlib.file_digest", "file_digest")):
            _, _, runs = repeat([PYTHON, "-c", HASH_LOOP, mode, *files], args.repeats, ok=(0,))
            inner = sorted(float(r.stdout.strip()) for r in runs)[len(runs) // 2]
            rows.append([label, inner, "", total_mb / inner, f"{sha_wall / inner:.0%}"])
        print(f"### deep verification of {args.files} x {args.mb} MiB checkpoints ({total_mb:,.0f} MB, page cache "
              f"warm; median of {args.repeats})\n")
        print(table(["what", "wall s", "CPU s", "MB/s", "throughput vs sha256sum"], rows))
        print(f"\n<!-- {machine_line()} -->")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
