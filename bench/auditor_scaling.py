"""How `audit check --run DIR` scales with the number and size of checkpoints; prints Markdown tables.

    .venv/bin/python bench/auditor_scaling.py [--sizes 10,100,1000,10000] [--naive-cap 1000] [--repeats 3]

Builds synthetic run directories under /tmp (deleted afterwards):
  ours     N checkpoints in our format (checkpoints/step-*.pt + manifest, events.jsonl); the
           .pt files are 1 KiB, and every 10th one a 101 MB sparse file (truncate: no disk used)
  foreign  N real torch.save files named run_checkpoint_epoch_<i>.pt (no manifests), which the
           auditor reads statically (data.pkl inside the zip, never unpickled)
and times the installed `audit check --project <empty project> --run DIR --format json` in a child
process (median of --repeats) with its peak RSS (ru_maxrss), against the naive approach: a child
that torch.load()s every checkpoint (real torch files; capped at --naive-cap and extrapolated
linearly beyond, marked "~"). Then: the same N with 1 KiB against 100 MB (sparse) files, the
audit of this repository with a 100-checkpoint run, and which .pt files the audit opens
(an audit hook in the child logs every `open` of a .pt file and whether torch was imported).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import PYTHON, ROOT, VENV_BIN, machine_line, median_cpu, repeat, run_child, table  # noqa: E402

BIG = 101 * 10**6  # "over 100 MB"

NAIVE = """
import glob, sys, torch
torch.set_num_threads(1)
paths = sorted(glob.glob(sys.argv[1] + "/**/*.pt", recursive=True))
for p in paths:
    torch.load(p, weights_only=True, map_location="cpu")
print(len(paths))
"""

# every open of a .pt file is written to stderr at once, so that those of any forked child of
# the audit are counted too; the last line is the summary
TRACED = """
import json, os, sys
def hook(event, args):
    if event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
        path = os.fsdecode(args[0])
        if path.endswith(".pt"):
            os.write(2, ("pt-open " + path + "\\n").encode())
sys.addaudithook(hook)
from auditor.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
sys.stdout.flush()
print(json.dumps({"torch_imported": "torch" in sys.modules, "exit": code}), file=sys.stderr)
"""


def build_ours(root: Path, n: int, size: int = 1024, big_every: int = 0) -> Path:
    """A run directory of n manifest checkpoints; size bytes each (sparse when over 1 MiB)."""
    ck = root / "checkpoints"
    ck.mkdir(parents=True)
    events = [json.dumps({"ts": 1000.0, "event": "run_start", "pid": 1, "resume": "auto"})]
    payload = b"x" * size if size <= 1 << 20 else b""
    for i in range(1, n + 1):
        name = f"step-{i:08d}.pt"
        nbytes = BIG if big_every and i % big_every == 0 else size
        with open(ck / name, "wb") as fh:
            if nbytes == size and payload:
                fh.write(payload)
            else:
                fh.truncate(nbytes)  # sparse: the size is real, the disk blocks are not
        wall = 1000.0 + 120.0 * i
        (ck / f"step-{i:08d}.json").write_text(json.dumps({
            "format": "magvit-checkpoint/1", "file": name, "kind": "periodic", "stage": "tokenizer", "step": i,
            "epoch": 0, "batch_in_epoch": i, "epochs": 1, "wall_time": wall, "saved_at": "", "train_elapsed_s": wall,
            "save_duration_s": 0.01, "losses": {"train": 0.1}, "size_bytes": nbytes, "sha256": "0" * 64,
            "interval": {"kind": "time", "value": 120}, "code_version": None, "data_fingerprint": "0" * 64}))
        events.append(json.dumps({"ts": wall, "event": "checkpoint_saved", "file": name, "kind": "periodic",
                                  "step": i, "epoch": 0, "batch_in_epoch": i, "save_duration_s": 0.01,
                                  "size_bytes": nbytes}))
    (root / "events.jsonl").write_text("\n".join(events) + "\n")
    return root


def small_torch_bytes() -> bytes:
    """A real small torch checkpoint, made in a child: importing torch here would inflate every
    child's ru_maxrss (a forked child inherits the parent's peak until it execs)."""
    code = ("import io, sys, torch; buf = io.BytesIO(); torch.save({'epoch': 0, 'timestamp': 1000.0, "
            "'model_state_dict': torch.nn.Linear(16, 16).state_dict()}, buf); sys.stdout.buffer.write(buf.getvalue())")
    import subprocess

    return subprocess.run([PYTHON, "-c", code], capture_output=True, check=True).stdout


def build_foreign(root: Path, n: int, blob: bytes) -> Path:
    root.mkdir(parents=True)
    for i in range(n):
        (root / f"run_checkpoint_epoch_{i}.pt").write_bytes(blob)
    old = 1_000_000.0  # old files: not saves in progress
    for p in root.iterdir():
        os.utime(p, (old, old))
    return root


def audit_cmd(project: Path, run: Path) -> list[str]:
    return [str(VENV_BIN / "audit"), "check", "--project", str(project), "--run", str(run), "--format", "json",
            "--date", "2026-01-01"]


def traced_result(stderr: str) -> dict:
    """The TRACED child's summary, with the number of .pt files opened by it or its children."""
    lines = stderr.strip().splitlines()
    return {**json.loads(lines[-1]), "pt_opened": sum(line.startswith("pt-open ") for line in lines)}


def traced(project: Path, run: Path) -> dict:
    r = run_child([PYTHON, "-c", TRACED, *audit_cmd(project, run)[1:]])
    return traced_result(r.stderr)


def naive(run: Path, repeats: int) -> float:
    wall, _, _ = repeat([PYTHON, "-c", NAIVE, str(run)], times=repeats, ok=(0,))
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,100,1000,10000")
    parser.add_argument("--naive-cap", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    tmp = Path(tempfile.mkdtemp(prefix="bench-auditor-"))
    try:
        project = tmp / "project"
        project.mkdir()
        blob = small_torch_bytes()
        print(f"<!-- {machine_line()} -->\n")
        print(f"### audit check wall time and peak memory by number of checkpoints (median of {args.repeats})\n")
        rows = []
        naive_per_file = None
        for n in sizes:
            ours = build_ours(tmp / f"ours-{n}", n, big_every=10)
            foreign = build_foreign(tmp / f"foreign-{n}", n, blob)
            o_wall, o_mb, o_runs = repeat(audit_cmd(project, ours), args.repeats)
            f_wall, f_mb, f_runs = repeat(audit_cmd(project, foreign), args.repeats)
            if n <= args.naive_cap:
                nv = naive(foreign, args.repeats)
                naive_per_file = nv / n
                nv_text = f"{nv:.2f}"
            else:
                nv = naive_per_file * n if naive_per_file else float("nan")
                nv_text = f"~{nv:.1f}"
            rows.append([n, o_wall, median_cpu(o_runs), o_mb, f_wall, median_cpu(f_runs), f_mb, nv_text,
                         f"{nv / o_wall:.1f}x"])
            shutil.rmtree(foreign)
            if n != 100:
                shutil.rmtree(ours)
        print(table(["checkpoints", "ours: audit s", "ours: CPU s", "ours: peak MB", "foreign: audit s",
                     "foreign: CPU s", "foreign: peak MB",
                     "naive torch.load all s", "naive / ours"], rows))
        print("\nours: every 10th .pt is a 101 MB sparse file. naive: torch.load(weights_only=True) of every file "
              "of the foreign run (1.6 KB real torch files); '~' = extrapolated from the largest measured N.\n")

        n = min(1000, max(sizes))
        small = build_ours(tmp / "small", n, size=1024)
        big = build_ours(tmp / "big", n, size=100 * 2**20)
        s_wall, s_mb, s_runs = repeat(audit_cmd(project, small), args.repeats)
        b_wall, b_mb, b_runs = repeat(audit_cmd(project, big), args.repeats)
        print(f"### the same {n}-checkpoint run with 1 KiB against 100 MiB checkpoints\n")
        s_cpu, b_cpu = median_cpu(s_runs), median_cpu(b_runs)
        print(table(["checkpoint size", "total bytes", "audit s", "CPU s", "peak MB"],
                    [["1 KiB", f"{n * 1024 / 1e6:.1f} MB", s_wall, s_cpu, s_mb],
                     ["100 MiB (sparse)", f"{n * 100 * 2**20 / 1e9:,.0f} GB", b_wall, b_cpu, b_mb],
                     ["ratio 100 MiB / 1 KiB", "", f"{b_wall / s_wall:.2f}", f"{b_cpu / s_cpu:.2f}",
                      f"{b_mb / s_mb:.2f}"]]))
        shutil.rmtree(small)
        big_trace = traced(project, big)
        shutil.rmtree(big)

        run100 = tmp / "ours-100"
        if not run100.exists():
            build_ours(run100, 100, big_every=10)
        r_wall, r_mb, r_runs = repeat(audit_cmd(ROOT, run100), args.repeats)
        p_wall, p_mb, p_runs = repeat(audit_cmd(project, run100), args.repeats)
        repo_trace = traced(ROOT, run100)
        print("\n### audit check of this repository with a 100-checkpoint run, and what it opens\n")
        print(table(["audit", "s (median)", "CPU s", "peak MB", ".pt files opened", "torch imported"],
                    [["this repository + 100-checkpoint run", r_wall, median_cpu(r_runs), r_mb,
                      repo_trace["pt_opened"], repo_trace["torch_imported"]],
                     ["empty project + the same run (the run's share)", p_wall, median_cpu(p_runs), p_mb, "", ""],
                     [f"empty project + {n} x 100 MiB run", b_wall, b_cpu, b_mb, big_trace["pt_opened"],
                      big_trace["torch_imported"]]]))
        print("\n.pt files opened: `open` audit events (sys.addaudithook) on paths ending in .pt in the audit's process.")
        print(f"\n<!-- {machine_line()} -->")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
