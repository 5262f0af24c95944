"""The drill's checks: pure functions of `Observations`, each a `Check` with its evidence lines."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from auditor.drill.observations import (
    CORRUPT,
    UNVERIFIED,
    VALID,
    Check,
    DiskCheckpoint,
    Kill,
    Observations,
    Session,
    position_text,
)
from auditor.model import FAIL, PASS, SKIP


def _at_least_as_new(used: DiskCheckpoint | None, newest: DiskCheckpoint | None) -> bool:
    """An intact checkpoint whose position is no earlier than the newest resumable one's."""
    if used is None or newest is None or used.status not in (VALID, UNVERIFIED):
        return False
    return used.position is not None and newest.position is not None and used.position >= newest.position


def check_resumed_from_newest(obs: Observations) -> Check:
    """(a) Every restart resumed from the newest valid checkpoint on disk at its kill."""
    title = "Every restart resumed from the newest valid checkpoint"
    lines, failed = [], False
    for kill, session in obs.restarts():
        newest = kill.newest_valid()
        tag = f"kill {kill.index}"
        if session.resumed_file:
            said = f"{session.resumed_file} ({session.resume_evidence})"
            if newest is not None and Path(session.resumed_file).name == newest.name:
                lines.append(f"{tag}: resumed from {said}, the newest valid at the kill")
                continue
            used = kill.find(session.resumed_file)
            if _at_least_as_new(used, newest):
                # e.g. a best-model file that holds the full state and is further than any
                # periodic one: resuming from it loses less, never more
                lines.append(f"{tag}: resumed from {said}, intact and at least as far as any other at the kill")
                continue
            failed = True
            if newest is None:
                lines.append(f"{tag}: resumed from {said} although no valid checkpoint was on disk at the kill")
            else:
                lines.append(f"{tag}: resumed from {said} although {newest.name} "
                             f"({position_text(obs.unit, newest.position)}) was the newest valid at the kill")
            continue
        if newest is None:
            lines.append(f"{tag}: no valid checkpoint on disk at the kill; starting fresh is right")
            continue
        want = f"{newest.name} ({position_text(obs.unit, newest.position)}) was valid at the kill"
        first = session.first_checkpoint
        if session.started_fresh:
            failed = True
            lines.append(f"{tag}: started from scratch (run_start without resumed_from) although {want}")
        elif first is not None and first.position is not None and newest.position is not None \
                and first.position <= newest.position:  # fmt: skip
            failed = True
            lines.append(f"{tag}: did not resume: wrote {first.name} after the restart although {want}")
        elif session.first_position is not None and newest.position is not None \
                and session.first_position < newest.position:  # fmt: skip
            failed = True
            lines.append(f"{tag}: did not resume: first reported {position_text(obs.unit, session.first_position)} "
                         f"after the restart although {want}")
        elif first is not None or session.first_position is not None:
            shown = f"first reported {position_text(obs.unit, session.first_position)}"
            if first is not None:
                shown += f", first checkpoint written {first.name}"
            lines.append(f"{tag}: continued after {newest.name} (inferred: {shown})")
        else:
            failed = True
            lines.append(f"{tag}: no evidence of where the restart resumed (no events, no output, no checkpoint)")
    if not obs.restarts():
        return Check("resumed_from_newest", title, FAIL, ("no kill landed, so no restart was observed",))
    return Check("resumed_from_newest", title, FAIL if failed else PASS, tuple(lines))


def _resumed_position(kill: Kill, session: Session) -> int | None:
    if session.resumed_position is not None:
        return session.resumed_position
    if session.resumed_file:
        found = kill.find(session.resumed_file)
        if found is not None:
            return found.position
    if session.started_fresh:
        return 0
    return session.first_position


def check_lost_work(obs: Observations) -> Check:
    """(b) Work redone after each restart stayed within the checkpoint interval plus one batch."""
    title = "Lost work stayed within the checkpoint interval"
    if obs.interval_units is None:
        return Check("lost_work_within_interval", title, FAIL,
                     (f"the checkpoint interval is unknown ({obs.interval_label}); give --interval-s",))
    allowed = obs.interval_units + 1
    unit = obs.unit
    lines, failed, measured = [], False, 0
    for kill, session in obs.restarts():
        resumed = _resumed_position(kill, session)
        tag = f"kill {kill.index}"
        if kill.position is None or resumed is None:
            lines.append(f"{tag}: not measurable (reported {position_text(unit, kill.position)}, resumed at "
                         f"{position_text(unit, resumed)})")
            continue
        lost = max(0, kill.position - resumed)
        measured += 1
        ok = lost <= allowed
        failed |= not ok
        lines.append(f"{tag}: killed at {position_text(unit, kill.position)}, resumed at {position_text(unit, resumed)}: "
                     f"{lost} {unit}s redone ({'<=' if ok else '>'} {allowed:g} allowed = {obs.interval_label} "
                     f"+ one batch)")
    if not measured:
        failed = True
        lines.append("no restart could be measured")
    return Check("lost_work_within_interval", title, FAIL if failed else PASS, tuple(lines))


def check_no_corrupt_loaded(obs: Observations) -> Check:
    """(c) No restart loaded a checkpoint that was not intact at the kill, and no kill left a
    half-written file under a checkpoint's final name."""
    title = "No corrupt checkpoint was ever loaded"
    lines, failed = [], False
    for kill in obs.kills:
        for c in kill.on_disk:
            if c.status == CORRUPT:
                failed = True
                lines.append(f"kill {kill.index} left a half-written file under its final name: {c.file} ({c.reason})")
    for kill, session in obs.restarts():
        if not session.resumed_file:
            continue
        found = kill.find(session.resumed_file)
        if found is None:
            lines.append(f"kill {kill.index}: resumed from {session.resumed_file}, not among the files at the kill")
        elif found.status in (VALID, UNVERIFIED):
            lines.append(f"kill {kill.index}: loaded {found.name}, {found.status} at the kill ({found.reason})")
        else:
            failed = True
            lines.append(f"kill {kill.index}: loaded {found.name}, which was {found.status} at the kill ({found.reason})")
    for kill, session in obs.restarts():
        broken = [c.name for c in kill.on_disk if c.status == CORRUPT]
        if broken and not session.killed and session.exit_code not in (0, None):
            lines.append(f"kill {kill.index}: the restart then failed with exit code {session.exit_code}")
    if not lines:
        lines.append("no restart loaded a checkpoint")
    return Check("no_corrupt_checkpoint_loaded", title, FAIL if failed else PASS, tuple(lines))


def check_final_weights(obs: Observations) -> Check:
    """(d) The drilled run's final weights equal an uninterrupted run's."""
    title = "Final weights equal an uninterrupted run's"
    if obs.final is None:
        return Check("final_weights_equal", title, SKIP, ("not compared (--no-compare-final)",))
    return Check("final_weights_equal", title, PASS if obs.final.equal else FAIL, (obs.final.detail,))


def check_run_finished(obs: Observations) -> Check:
    """Every kill landed, no session died on its own, and the last one finished (exit 0)."""
    title = "All kills landed and the run finished"
    lines, failed = [], False
    if obs.timed_out:
        failed = True
        lines.append("the drill ran out of time (--timeout)")
    if len(obs.kills) < obs.kills_requested:
        failed = True
        cause = ("a session failed" if any(not s.killed and s.exit_code not in (0, None) for s in obs.sessions)
                 else "the run finished first (make the drilled run longer)")
        lines.append(f"only {len(obs.kills)} of {obs.kills_requested} kills landed: {cause}")
    else:
        writes = sum(k.during_write for k in obs.kills)
        lines.append(f"{len(obs.kills)} kills landed ({writes} during a checkpoint write)")
    for session in obs.sessions:
        if session.killed:
            continue
        if session.exit_code != 0:
            failed = True
            lines.append(f"session {session.index} ended by itself with exit code {session.exit_code}: "
                         f"{session.output_tail.strip().splitlines()[-1] if session.output_tail.strip() else ''}")
        else:
            lines.append(f"session {session.index} finished with exit code 0")
    if obs.sessions and obs.sessions[-1].killed:
        failed = True
        lines.append("the last session did not finish")
    return Check("run_finished", title, FAIL if failed else PASS, tuple(lines))


CHECKS: tuple[Callable[[Observations], Check], ...] = (
    check_resumed_from_newest,
    check_lost_work,
    check_no_corrupt_loaded,
    check_final_weights,
    check_run_finished,
)


def judge(obs: Observations) -> tuple[Check, ...]:
    """Every check's verdict."""
    return tuple(check(obs) for check in CHECKS)
