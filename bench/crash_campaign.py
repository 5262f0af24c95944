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

With `--race` (issue 16) every restart races the process it replaces, as a scheduler's
relaunch does: odd kills start the restart right after the SIGKILL is sent and before the
killed process is reaped; even kills start it while the process to be killed still trains
(once that process has committed a checkpoint), and the kill lands only after the restart
has found the run directory locked and waits for it (`--lock-wait 60`). Extra rows then
count the restarts that waited on a live holder, those that took over a dead holder's lock,
those refused (exit 2; must be 0), and failed checkpoint saves over the whole run (a restart
that deleted a live run's temp files would make its saves fail; must be 0).

The trainer code (magvit/) is copied to a scratch project first, so edits to the working
tree while the campaign runs cannot mix two versions of the trainer in one campaign.

Exit code 0 when every row holds, 1 when one does not.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

from auditor.drill import DrillResult, DrillSettings, run_drill
from auditor.drill import runner as drill_runner
from auditor.drill.disk import Watcher
from auditor.drill.observations import VALID
from auditor.drill.process import TrainerProcess, _descendants, _wait_gone

ROOT = Path(__file__).resolve().parents[1]
PREPARE = "{python} -m magvit data make --out {data} --n 24 --frames 4 --size 16"
COMMAND = ("{python} -m magvit train --data {data} --run-dir {run_dir} --config magvit/configs/tiny.yaml "
           "--checkpoint-every {every} --epochs {epochs}")
BATCHES_PER_EPOCH = 5  # tiny.yaml: 24 clips, val_fraction 0.25, batch_size 4
RACE_LOCK_WAIT = " --lock-wait 60"  # an early restart waits on a live holder: imports plus a few checkpoints
WAITING = "The run directory is locked by"  # the trainer's line while it waits for the lock
TOOK_OVER = "Took over the run directory lock left by"


def default_epochs(kills: int, every_steps: int) -> int:
    """Long enough that every kill lands before the run ends: a session advances a few intervals at most."""
    return max(12, math.ceil(kills * 2 * every_steps / BATCHES_PER_EPOCH) + 6)


def _early_race(index: int, kills: int) -> bool:
    """Whether session `index`'s relaunch starts while it still trains: one kill in four (kills 1, 5, 9, ...; the
    others race right after the SIGKILL), so both kinds meet random and during-write kills. An early relaunch's
    imports (2-7 s here) are training time for the holder, which is why there are not more of them."""
    return index % 4 == 0 and index < kills  # the last session is never killed


def race_epochs(kills: int, every_steps: int) -> int:
    """Enough epochs for a racing campaign: each early race lets the holder train through the relaunch's imports
    (up to 250 steps = 50 epochs of the tiny run on a loaded 2-core machine)."""
    return default_epochs(kills, every_steps) + 50 * sum(_early_race(i, kills) for i in range(kills))


class _RacingProcess(TrainerProcess):
    """A session whose kill starts the next session before the killed process is reaped, and
    returns as soon as it is reaped, so that the drill's disk snapshot follows the death at once."""

    on_sigkill = None  # set by the drill: starts (or adopts) the relaunch
    after_reap = None

    def kill(self) -> None:
        strays = _descendants(self.proc.pid)  # read while the tree is whole, before the kill (as the drill does)
        for pid, kill in [(self.proc.pid, os.killpg)] + [(pid, os.kill) for pid in strays]:
            try:
                kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if self.on_sigkill is not None:
            self.on_sigkill()  # the killed process may still be tearing down: nothing has reaped it
        self.proc.wait()
        _wait_gone(strays, timeout=5.0)
        self._reader.join(timeout=5)
        if self.after_reap is not None:
            self.after_reap()


class _GatedWatcher(Watcher):
    """A watcher that shows no commit and no write until `gate()` is true, holding the kill back."""

    gate = None

    def poll(self) -> tuple[int, list[str]]:
        committed, writing = super().poll()
        if self.gate is not None and not self.gate(committed):
            return 0, []
        return committed, writing


def _timed_scan(*args, **kwargs):
    """The drill's disk snapshot, noting when each snapshot of a kill was complete."""
    found = _SCAN(*args, **kwargs)
    drill = RacingDrill.last
    if drill is not None and drill.killing:
        drill.snapshot_done.append(time.time())
    return found


_SCAN = drill_runner.scan


class RacingDrill(drill_runner._Drill):
    """The drill, its restarts racing the dying process (see the module docstring)."""

    last: RacingDrill | None = None  # the instance run_drill made, read back after it returns

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        RacingDrill.last = self
        self.argv: list[str] | None = None
        self.pending = None  # the next session, started before its predecessor's kill
        self.early: dict[int, bool] = {}  # session index -> its relaunch started while it trained
        self.killing = False
        self.snapshot_done: list[float] = []  # wall time each kill's disk snapshot was complete, in kill order

    def run(self, argv: list[str]) -> None:
        self.argv = argv
        super().run(argv)

    def kill_when_due(self, session, mode: str) -> bool:
        self.killing = True  # only a planned kill relaunches (not the deadline's, not the final clean-up)
        try:
            return super().kill_when_due(session, mode)
        finally:
            self.killing = False

    def start(self, argv: list[str]):
        if self.pending is not None:
            session, self.pending = self.pending, None
            return session
        return self._spawn(argv)

    def _spawn(self, argv: list[str]):
        events = self.run_dir / "events.jsonl"
        offset = events.stat().st_size if events.is_file() else 0
        watcher = _GatedWatcher(self.run_dir, self.s.checkpoint_patterns)
        process = _RacingProcess(argv, self.s.project, self.env)
        session = drill_runner._RawSession(len(self.sessions), process, watcher, offset)
        self.sessions.append(session)
        early = _early_race(session.index, self.s.kills)
        self.early[session.index] = early
        process.on_sigkill = lambda: self._relaunch_now(session)
        process.after_reap = lambda: self._refresh(session)
        if early:
            watcher.gate = lambda committed: self._early_gate(session, committed)
        return session

    def _early_gate(self, session, committed: int) -> bool:
        """Start the relaunch at this session's first commit (it holds the lock then); let the kill
        come only once the relaunch says it waits for the lock."""
        if self.pending is None and (committed or session.watcher.commits):
            self.pending = self._spawn(self.argv)
            self.pending.events_offset = session.events_offset  # refreshed at the kill
        if self.pending is None:
            return False
        return any(WAITING in line for _, line in self.pending.process.lines)

    def _relaunch_now(self, session) -> None:
        if not self.killing or self.timed_out:
            return
        if self.pending is None:
            self.pending = self._spawn(self.argv)
        if self.pending is not None:
            events = self.run_dir / "events.jsonl"
            self.pending.events_offset = events.stat().st_size if events.is_file() else 0

    def _refresh(self, session) -> None:
        """The disk is final once the killed process is reaped: the relaunch's watcher starts from it."""
        if self.pending is not None:
            fresh = _GatedWatcher(self.run_dir, self.s.checkpoint_patterns)
            fresh.gate = self.pending.watcher.gate
            self.pending.watcher = fresh

    def race_figures(self) -> dict[str, object]:
        restarts = self.sessions[1:]
        texts = ["\n".join(line for _, line in s.process.lines) for s in restarts]
        early = [t for s, t in zip(restarts, texts) if self.early.get(s.index - 1)]
        failed_saves = sum(1 for e in drill_runner._read_events(self.run_dir / "events.jsonl", 0)
                           if e.get("event") == "checkpoint_failed")
        # how long after each kill's snapshot its relaunch wrote run_start: it removes orphaned temp files just
        # before that, and changes no committed checkpoint before its first save, long after
        margins = []
        for session, done in zip(restarts, self.snapshot_done):
            starts = [e["ts"] for e in session.events if e.get("event") == "run_start" and isinstance(e.get("ts"), float)]
            margins.append(starts[0] - done if starts else math.inf)
        return {
            "race_restarts": len(restarts),
            "race_early": len(early),
            "race_waited": sum(WAITING in t for t in early),
            "race_took_over": sum(TOOK_OVER in t for t in texts),
            "race_refused": sum(1 for s in restarts if s.exit_code == 2),
            "race_failed_saves": failed_saves,
            "race_min_margin_ms": round(1000 * min(margins), 1) if margins else None,
        }


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
    if "race_restarts" in summary:
        rows += _race_rows(summary)
    out = [f"Crash campaign: seed {seed}, {seconds:.0f} s, command `{command}`", "",
           "| measure | result | ok |", "|---|---|---|"]
    out += [f"| {name} | {value} | {'yes' if ok else 'NO'} |" for name, value, ok in rows]
    for index, file, status in summary["corrupt_loaded"]:
        out.append(f"\n- kill {index}: the restart loaded {file}, {status} at the kill")
    if summary["failed_checks"]:
        out.append(f"\nfailed drill checks: {', '.join(summary['failed_checks'])}")
    out += [f"- {line}" for line in summary["problems"][:20]]
    return "\n".join(out) + "\n"


def _race_rows(summary: dict[str, object]) -> list[tuple[str, str, bool]]:
    restarts, early = summary["race_restarts"], summary["race_early"]
    return [
        ("restarts started before the killed process was reaped",
         f"{restarts} of {restarts}: {early} while it still trained, {restarts - early} right after its SIGKILL", True),
        ("restarts that found the lock held by the live process and waited", f"{summary['race_waited']} of {early}",
         summary["race_waited"] == early),
        ("restarts that took over the dead holder's lock (and said so)", f"{summary['race_took_over']} of {restarts}",
         summary["race_took_over"] == restarts),
        ("restarts refused (exit 2)", str(summary["race_refused"]), summary["race_refused"] == 0),
        ("each kill's disk snapshot was complete before the relaunch wrote run_start",
         f"the earliest run_start came {summary['race_min_margin_ms']} ms after its snapshot",
         (summary["race_min_margin_ms"] or 0) > 0),
        ("failed checkpoint saves in the whole run (temp files deleted under a live trainer)",
         str(summary["race_failed_saves"]), summary["race_failed_saves"] == 0),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=100, help="SIGKILLs to land (default 100)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the kill plan (default 0)")
    parser.add_argument("--every", default="2steps", help="checkpoint interval in steps, e.g. 2steps (default)")
    parser.add_argument("--epochs", type=int, default=None, help="epochs of the run [default: enough for --kills]")
    parser.add_argument("--timeout", type=float, default=1800.0, help="time limit in seconds (default 1800)")
    parser.add_argument("--json", type=Path, default=None, help="also write the drill's audit-drill/1 result here")
    parser.add_argument("--race", action="store_true",
                        help="restarts race the killed process (a scheduler's relaunch; see the module docstring)")
    args = parser.parse_args(argv)
    if args.kills < 1:
        parser.error("--kills must be at least 1")
    if not args.every.endswith("steps") or not args.every[:-5].isdigit():
        parser.error("--every must be a step interval such as 2steps (lost work is measured in steps)")
    epochs = args.epochs or (race_epochs if args.race else default_epochs)(args.kills, int(args.every[:-5]))
    command = COMMAND.format(every=args.every, epochs=epochs, python="{python}", data="{data}", run_dir="{run_dir}")
    command += RACE_LOCK_WAIT if args.race else ""
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
        def echo(line: str) -> None:
            print(line, file=sys.stderr, flush=True)

        if args.race:
            # run_drill builds its drill from the runner module's _Drill: this one races its restarts
            with mock.patch.object(drill_runner, "_Drill", RacingDrill), \
                    mock.patch.object(drill_runner, "scan", _timed_scan):
                result = run_drill(settings, echo=echo)
        else:
            result = run_drill(settings, echo=echo)
    summary = summarise(result)
    if args.race and RacingDrill.last is not None:
        summary.update(RacingDrill.last.race_figures())
    if args.json:
        from auditor.drill import to_json, write_result

        write_result(args.json, to_json(result))
    print(render(summary, args.seed, time.monotonic() - started, command), end="")
    ok = (summary["kills"] == args.kills and not summary["corrupt_loaded"] and summary["final_equal"] is True
          and summary["resumed_newest"] + summary["resumed_newer_best"] == summary["owed"]
          and summary["unobserved"] == 0 and all(row_ok for _, _, row_ok in
                                                 (_race_rows(summary) if "race_restarts" in summary else [])))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
