"""Crash campaign: many SIGKILLs of a real tiny training run, restarting the same command each time.

    .venv/bin/python bench/crash_campaign.py [--kills 100] [--seed 0] [--epochs N] [--every 2steps]

Built on the kill/restart/observe core of `audit drill` (auditor/drill.py): half the kills
land at a random moment after 1-3 committed checkpoints, half while a checkpoint write is in
progress (a `.tmp-*` file or a growing checkpoint seen by polling). After each kill the same
command is started again; it must resume from the newest checkpoint that was intact at the
kill. The last session runs to the end, then an uninterrupted run of the same command gives
the reference final weights.

Prints a markdown table:

- kills (and how many landed during a checkpoint write);
- restarts that resumed (a `resumed_from` event in events.jsonl);
- corrupt checkpoints loaded: a restart whose `resumed_from` file was not, at the kill, a
  committed checkpoint whose size and sha256 (hashed from the disk right after the kill)
  match its manifest. Must be 0;
- largest work lost in steps, against the checkpoint interval (lost = the furthest step the
  killed session reported minus the step the restart resumed at; the bound is the interval
  plus the one batch in flight);
- whether the final weights equal the uninterrupted run's (torch.equal on every tensor).

The trainer code (magvit/) is copied to a scratch project first, so edits to the working
tree while the campaign runs cannot mix two versions of the trainer in one campaign.

Exit code 0 when every row holds, 1 when one does not.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import shutil
import sys
import tempfile
import time
from pathlib import Path

from auditor.drill import VALID, DrillResult, DrillSettings, run_drill

ROOT = Path(__file__).resolve().parents[1]
PREPARE = "{python} -m magvit data make --out {data} --n 24 --frames 4 --size 16"
COMMAND = ("{python} -m magvit train --data {data} --run-dir {run_dir} --config magvit/configs/tiny.yaml "
           "--checkpoint-every {every} --epochs {epochs}")
BATCHES_PER_EPOCH = 5  # tiny.yaml: 24 clips, val_fraction 0.25, batch_size 4


def default_epochs(kills: int, every_steps: int) -> int:
    """Long enough that every kill lands before the run ends: a session advances a few intervals at most."""
    return max(12, math.ceil(kills * 2 * every_steps / BATCHES_PER_EPOCH) + 6)


def _same_position(kill, resumed_file: str) -> bool:
    """Resumed from the newest valid checkpoint at the kill, or from another intact one at its
    position (at an epoch end best.pt and step-N.pt hold the same state; either is right)."""
    newest = kill.newest_valid()
    if newest.name == Path(resumed_file).name:
        return True
    found = kill.find(resumed_file)
    return (found is not None and found.status == VALID and found.position is not None
            and found.position == newest.position)


def summarise(result: DrillResult) -> dict[str, object]:
    """The campaign's figures, computed from the drill's observations."""
    obs = result.observations
    restarts = obs.restarts()
    # a restart is owed a resume when the kill left a valid resumable checkpoint behind
    owed = [(k, s) for k, s in restarts if k.newest_valid() is not None]
    resumed = [(k, s) for k, s in restarts if s.resumed_file]
    newest = [(k, s) for k, s in owed if s.resumed_file and _same_position(k, s.resumed_file)]
    # the trainer also resumes from best.pt when it is valid and newer than every periodic
    # checkpoint (it holds the complete end-of-epoch state); docs/run-directory.md says "never best"
    from_best = []
    for kill, session in owed:
        found = kill.find(session.resumed_file) if session.resumed_file else None
        if (found is not None and found.kind == "best" and found.status == VALID and found.position is not None
                and found.position > (kill.newest_valid().position or -1)):
            from_best.append((kill, session))
    corrupt_loaded = []
    for kill, session in resumed:
        found = kill.find(session.resumed_file)
        # VALID: the manifest existed at the kill and the file's size and sha256 matched it
        if found is None or found.status != VALID:
            corrupt_loaded.append((kill.index, session.resumed_file, found.status if found else "absent"))
    lost = []
    for kill, session in resumed:
        if kill.position is not None and session.resumed_position is not None:
            lost.append((max(0, kill.position - session.resumed_position), kill.index))
    largest = max(lost) if lost else (None, None)
    final = obs.final
    return {
        "kills": len(obs.kills),
        "kills_requested": obs.kills_requested,
        "during_write": sum(k.during_write for k in obs.kills),
        "restarts": len(restarts),
        "owed": len(owed),
        "resumed": len(resumed),
        "resumed_newest": len(newest),
        "resumed_newer_best": len(from_best),
        "fresh_starts_after_save": sum(1 for _, s in owed if s.started_fresh),
        "unobserved": sum(1 for _, s in restarts if s.started_fresh is None),
        "corrupt_loaded": corrupt_loaded,
        "largest_lost": largest[0],
        "largest_lost_kill": largest[1],
        "measured_restarts": len(lost),
        "interval_units": obs.interval_units,
        "interval_label": obs.interval_label,
        "final_equal": None if final is None else final.equal,
        "final_detail": "" if final is None else final.detail,
        "failed_checks": [c.id for c in result.checks if c.verdict == "fail"],
        # evidence lines of failed checks that report a problem (not the lines that say "ok")
        "problems": [line for c in result.checks if c.verdict == "fail" for line in c.evidence
                     if not line.endswith("the newest valid at the kill") and "resumed from best.pt" not in line],
    }


def render(summary: dict[str, object], seed: int, seconds: float, command: str) -> str:
    interval = summary["interval_units"]
    allowed = None if interval is None else interval + 1
    lost = summary["largest_lost"]
    lost_ok = lost is not None and allowed is not None and lost <= allowed
    rows = [
        ("kills (SIGKILL)", f"{summary['kills']} of {summary['kills_requested']} "
                            f"({summary['during_write']} during a checkpoint write)",
         summary["kills"] == summary["kills_requested"]),
        ("restarts that resumed", f"{summary['resumed']} of {summary['restarts']} restarts; of the "
                                  f"{summary['owed']} that had a valid checkpoint, {summary['resumed_newest']} "
                                  f"resumed from the newest valid one (or an intact one at its position) and "
                                  f"{summary['resumed_newer_best']} "
                                  f"from a valid best.pt newer than it; {summary['fresh_starts_after_save']} "
                                  f"started from scratch, {summary['unobserved']} not observed",
         summary["resumed_newest"] + summary["resumed_newer_best"] == summary["owed"]
         and summary["unobserved"] == 0),
        ("corrupt checkpoints loaded", str(len(summary["corrupt_loaded"])), not summary["corrupt_loaded"]),
        ("largest work lost", f"{lost} steps (kill {summary['largest_lost_kill']}); "
                              f"{summary['interval_label']}, bound {allowed:g} steps = interval + 1 batch"
         if allowed is not None else f"{lost} steps; interval unknown", lost_ok),
        ("final weights equal the uninterrupted run", str(summary["final_equal"]).lower()
         + (f" ({summary['final_detail']})" if summary["final_detail"] else ""), summary["final_equal"] is True),
    ]
    out = [f"Crash campaign: seed {seed}, {seconds:.0f} s, command `{command}`", "",
           "| measure | result | ok |", "|---|---|---|"]
    out += [f"| {name} | {value} | {'yes' if ok else 'NO'} |" for name, value, ok in rows]
    for index, file, status in summary["corrupt_loaded"]:
        out.append(f"\n- kill {index}: the restart loaded {file}, {status} at the kill")
    if summary["failed_checks"]:
        out.append(f"\nfailed drill checks: {', '.join(summary['failed_checks'])}")
    out += [f"- {line}" for line in summary["problems"][:20]]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=100, help="SIGKILLs to land (default 100)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the kill plan (default 0)")
    parser.add_argument("--every", default="2steps", help="checkpoint interval in steps, e.g. 2steps (default)")
    parser.add_argument("--epochs", type=int, default=None, help="epochs of the run [default: enough for --kills]")
    parser.add_argument("--timeout", type=float, default=1800.0, help="time limit in seconds (default 1800)")
    parser.add_argument("--json", type=Path, default=None, help="also write the drill's audit-drill/1 result here")
    args = parser.parse_args(argv)
    if args.kills < 1:
        parser.error("--kills must be at least 1")
    if not args.every.endswith("steps") or not args.every[:-5].isdigit():
        parser.error("--every must be a step interval such as 2steps (lost work is measured in steps)")
    epochs = args.epochs or default_epochs(args.kills, int(args.every[:-5]))
    command = COMMAND.format(every=args.every, epochs=epochs, python="{python}", data="{data}", run_dir="{run_dir}")
    # only the checkpoints folder is watched, so "during a write" means a checkpoint write
    # (a .tmp-* .pt or manifest), not a progress.json or config.yaml rewrite in the run dir
    settings = DrillSettings(project=ROOT, command=command, prepare=PREPARE, kills=args.kills, seed=args.seed,
                             checkpoint_patterns=("checkpoints/*.pt",), compare_final=True, timeout_s=args.timeout)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="crash-campaign-") as tmp:
        # a frozen copy of the trainer: the drilled run, its restarts and the reference run all
        # execute the same code even if the working tree is edited while the campaign runs
        project = Path(tmp) / "project"
        shutil.copytree(ROOT / "magvit", project / "magvit", ignore=shutil.ignore_patterns("__pycache__"))
        settings = dataclasses.replace(settings, project=project)
        result = run_drill(settings, echo=lambda line: print(line, file=sys.stderr, flush=True))
    summary = summarise(result)
    if args.json:
        from auditor.drill import to_json, write_result

        write_result(args.json, to_json(result))
    print(render(summary, args.seed, time.monotonic() - started, command), end="")
    ok = (summary["kills"] == args.kills and not summary["corrupt_loaded"] and summary["final_equal"] is True
          and summary["resumed_newest"] + summary["resumed_newer_best"] == summary["owed"]
          and summary["unobserved"] == 0)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
