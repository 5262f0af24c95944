"""How long `audit report --format html` takes, and how large the page is, for a run of 10,000 checkpoints.

    .venv/bin/python bench/html_report.py [--checkpoints 10000] [--repeats 5]

Builds a run directory in our format under /tmp (deleted afterwards): N `checkpoint_saved`
events two minutes apart (retention keeps the last three .pt files and their manifests, as
our trainer does), a heartbeat event every 15 s (8 per save), a train.log batch line every
10 s, and one kill and restart in the middle. Then, in this process, medians of --repeats:
  model   build_drawings: the timeline and curves models from the already-read run evidence
  render  render_html: the page (matrix, evidence, the two SVG drawings)
  write   the page written to disk
with the page's size, the number of marks drawn, once with the lanes thinned as the report
does (at most 400 marks a lane) and once unthinned, and their ratio. Last, the whole command
in a child process (start-up, reading the run, auditing an empty project, writing the page).
Output: Markdown tables.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import PYTHON, machine_line, repeat, table  # noqa: E402

T0 = 1_780_000_000.0
SAVE_S, BEAT_S, LOG_S = 120.0, 15.0, 10.0


def make_run(root: Path, n: int) -> Path:
    run = root / "run"
    (run / "checkpoints").mkdir(parents=True)
    kill_after = n // 2
    events, log = [], []
    t, session_start = T0, T0
    events.append({"ts": t, "event": "run_start", "pid": 1, "resume": "auto"})
    step = 0
    for i in range(1, n + 1):
        for k in range(int(SAVE_S // BEAT_S)):
            events.append({"ts": t + (k + 1) * BEAT_S - 0.5, "event": "heartbeat", "step": step})
        for k in range(int(SAVE_S // LOG_S)):
            step += 1
            when = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t + k * LOG_S)) + ".000Z"
            log.append(f"{when} tokenizer epoch=1/1 batch={step} step={step}/{n * 12} loss.train={1 / (1 + step / 500):.6g}")
        t += SAVE_S
        name = f"step-{step:08d}.pt"
        events.append({"ts": t, "event": "checkpoint_saved", "file": name, "kind": "periodic", "step": step})
        if i > n - 3:
            data = name.encode() * 8
            (run / "checkpoints" / name).write_bytes(data)
            (run / "checkpoints" / name).with_suffix(".json").write_text(json.dumps({
                "format": "magvit-checkpoint/1", "file": name, "kind": "periodic", "step": step, "epoch": 0,
                "wall_time": t, "size_bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}))
        if i == kill_after:  # SIGKILL 40 s after this save; the same command restarts a minute later
            t += 100.0
            session_start = t
            events.append({"ts": t, "event": "run_start", "pid": 2, "resume": "auto"})
            events.append({"ts": t + 2, "event": "resumed_from", "file": name, "step": step})
    events.append({"ts": t + 1, "event": "run_end", "status": "finished", "step": step})
    (run / "events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
    (run / "train.log").write_text("\n".join(log) + "\n")
    assert session_start > T0
    return run


def _median(fn, repeats: int) -> tuple[float, float, object]:
    """Median wall and CPU seconds of `repeats` calls (CPU moves less when others load the machine)."""
    walls, cpus, out = [], [], None
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        out = fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus), out


def measure(project: Path, run: Path, out: Path, repeats: int) -> list[list[object]]:
    from auditor.engine import audit_with_evidence
    from auditor.render.html import Drawings, build_drawings, render_html
    from auditor.render.timeline import bounds_from, build_timeline

    result, evidence = audit_with_evidence(project, run=run, date="2026-03-01")
    ev = evidence.run
    rows = []
    for label, make in (
        ("thinned (the report)", lambda: build_drawings(result, ev)),
        ("unthinned (for scale)", lambda: Drawings(build_timeline(ev, bounds_from(rr.rule for rr in result.rules),
                                                                  max_marks=10**9), build_drawings(result, ev).curves)),
    ):
        model_s, model_cpu, drawings = _median(make, repeats)
        render_s, render_cpu, page = _median(lambda d=drawings: render_html(result, d), repeats)
        write_s, write_cpu, _ = _median(lambda p=page: out.write_text(p, encoding="utf-8"), repeats)
        tl = drawings.timeline
        rows.append([label, model_s, render_s, write_s, model_s + render_s + write_s,
                     model_cpu + render_cpu + write_cpu, out.stat().st_size / 1e6, tl.total_saves, len(tl.saves),
                     len(tl.gaps), len(tl.beats)])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--checkpoints", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-html-"))
    try:
        project = root / "project"
        project.mkdir()
        start = time.perf_counter()
        run = make_run(root, args.checkpoints)
        made = time.perf_counter() - start
        print(f"# audit report --format html, a run of {args.checkpoints:,} checkpoints\n")
        print(machine_line())
        events = sum(1 for _ in (run / "events.jsonl").open())
        print(f"run: {events:,} events ({(run / 'events.jsonl').stat().st_size / 1e6:.1f} MB), "
              f"{sum(1 for _ in (run / 'train.log').open()):,} log lines; made in {made:.1f} s\n")
        rows = measure(project, run, root / "report.html", args.repeats)
        print(table(["lanes", "model s", "render s", "write s", "HTML written s", "CPU s", "size MB", "saves",
                     "save marks", "gap bars", "heartbeat marks"], rows))
        thin, full = rows
        verdict = "under" if thin[4] < 2.0 and thin[6] < 5.0 else "NOT under"
        print(f"\nthe report's page: written in {thin[4]:.2f} s, {thin[6]:.2f} MB: {verdict} the 2 s / 5 MB budget")
        print(f"thinned / unthinned: time {thin[4] / full[4]:.2f}x, size {thin[6] / full[6]:.3f}x "
              f"(medians of {args.repeats}; the page says how the lanes were thinned)\n")
        wall, peak, runs = repeat([PYTHON, "-m", "auditor", "report", "--format", "html", "--project", str(project),
                                   "--run", str(run), "--date", "2026-03-01", "-o", str(root / "cli.html")],
                                  times=max(1, args.repeats // 2), ok=(0,))
        print(table(["whole command (child process)", "wall s", "CPU s", "peak MB", "size MB"],
                    [["audit report --format html (start-up, read the run, audit, write)", wall,
                      statistics.median(r.cpu_s for r in runs), peak, (root / "cli.html").stat().st_size / 1e6]]))
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
