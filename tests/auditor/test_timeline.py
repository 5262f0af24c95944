"""The timeline model (auditor.render.timeline): a pure function of the run evidence."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from auditor.config import load_config
from auditor.evidence.history import RunHistory, Save, Session
from auditor.evidence.run import RunEvidence, collect
from auditor.render.timeline import Bounds, build_timeline

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
OURS = FIXTURES / "compliant_run"
FOREIGN = FIXTURES / "foreign_restart_project"
SEED = FIXTURES / "seed_project"


def _ours() -> RunEvidence:
    return collect(load_config(FIXTURES), OURS)


def _foreign() -> RunEvidence:
    return collect(load_config(FOREIGN), FOREIGN / "results" / "run")


def test_our_run_lanes_hold_every_save_heartbeat_and_session() -> None:
    run = _ours()
    events = [json.loads(x) for x in (OURS / "events.jsonl").read_text().splitlines()]
    tl = build_timeline(run, Bounds())
    assert tl.drawable, tl.reason
    assert tl.total_saves == sum(e["event"] == "checkpoint_saved" for e in events)
    assert sum(m.count for m in tl.saves) == tl.total_saves and len(tl.saves) == tl.total_saves
    assert sum(m.count for m in tl.beats) == sum(e["event"] == "heartbeat" for e in events)
    assert [s.ended for s in tl.sessions] == ["killed", "finished"]
    assert tl.sessions[1].resume_time is not None and "resumed from" in tl.sessions[1].title
    assert tl.start <= min(e["ts"] for e in events) and tl.end >= max(e["ts"] for e in events)


def test_each_gap_between_periodic_saves_is_judged_against_the_bounds() -> None:
    tl = build_timeline(_ours(), Bounds(min_s=60, max_s=300))
    periodic = [m for m in tl.saves if m.kind == "periodic"]
    # gaps are measured within a session: none spans the kill
    assert len(tl.gaps) == len(periodic) - len(tl.sessions)
    assert {g.verdict for g in tl.gaps} == {"within"}
    strict = build_timeline(_ours(), Bounds(min_s=10, max_s=100))
    assert {g.verdict for g in strict.gaps} == {"above"}
    loose = build_timeline(_ours(), Bounds(min_s=200, max_s=600))
    assert {g.verdict for g in loose.gaps} == {"below"}
    for g in tl.gaps:
        assert g.t1 > g.t0 and g.seconds == pytest.approx(g.t1 - g.t0, abs=0.01)
        assert f"{g.seconds:g}" in g.title or f"{g.seconds:.0f}" in g.title


def test_hover_titles_name_the_file_the_time_and_the_gap() -> None:
    tl = build_timeline(_foreign(), Bounds())
    save = next(m for m in tl.saves if m.kind == "periodic")
    assert "ckpt/ckpt_epoch_3.pt" in save.title and "2026-02-10 09:02:03" in save.title
    later = next(m for m in tl.saves if "ckpt_epoch_6.pt" in m.title)
    assert "gap 121 s" in later.title or "gap 2.0 min" in later.title


def test_the_foreign_restart_shows_a_kill_a_resume_and_one_gap_above_the_band() -> None:
    tl = build_timeline(_foreign(), Bounds())
    assert tl.drawable and tl.total_saves == 10
    assert [s.ended for s in tl.sessions] == ["killed", "finished"]
    assert "ckpt/ckpt_epoch_12.pt" in tl.sessions[1].title
    above = [g for g in tl.gaps if g.verdict == "above"]
    assert len(above) == 1 and above[0].seconds == pytest.approx(391, abs=1)
    assert "ckpt_epoch_21.pt" in above[0].title


def test_no_run_or_too_little_evidence_is_said_not_drawn(tmp_path: Path) -> None:
    none = build_timeline(None, Bounds())
    assert not none.drawable and "no run directory" in none.reason
    (tmp_path / "train.log").write_text("nothing with a time\n")
    sparse = build_timeline(collect(load_config(tmp_path), tmp_path), Bounds())
    assert not sparse.drawable and "no save, session or heartbeat" in sparse.reason
    assert sparse.saves == () and sparse.sessions == ()


def test_a_lane_without_evidence_says_so_while_the_others_draw() -> None:
    run = _ours()
    run.history = dataclasses.replace(run.history, beats=(), beats_source="")
    tl = build_timeline(run, Bounds())
    assert tl.drawable and tl.beats == ()
    assert any("no heartbeat" in note for note in tl.notes)


def test_file_times_are_flagged_as_weak_evidence() -> None:
    run = collect(load_config(SEED), SEED / "results" / "magvit_training")
    run.history = dataclasses.replace(run.history, saves=tuple(
        dataclasses.replace(s, source=s.source.replace("pickle", "mtime")) for s in run.history.saves),
        saves_source="checkpoint files (times from mtime)")
    tl = build_timeline(run, Bounds())
    assert any("file times" in note for note in tl.notes)


def _dense(n: int, every: float = 120.0, stall_each: int = 1000) -> RunEvidence:
    saves = []
    t = 1_700_000_000.0
    for i in range(n):
        t += every * (3 if i % stall_each == stall_each - 1 else 1)
        saves.append(Save(t, "periodic", f"checkpoints/step-{i:08d}.pt", i, "purged", f"events.jsonl:{i + 2}"))
    saves.append(Save(t + 1, "final", "checkpoints/final.pt", n, "valid", f"events.jsonl:{n + 2}"))
    session = Session(1_700_000_000.0, t + 2, "finished", "events.jsonl:1", f"events.jsonl:{n + 3}")
    run = RunEvidence(run_dir=Path("/dense"), found=True, layout="ours")
    run.history = RunHistory(saves=tuple(saves), saves_source="checkpoint_saved events", sessions=(session,),
                             sessions_source="events.jsonl")
    return run


def test_a_dense_lane_is_thinned_and_says_so_keeping_every_save_counted() -> None:
    tl = build_timeline(_dense(10_000), Bounds(), max_marks=400)
    assert tl.total_saves == 10_001
    assert len(tl.saves) <= 400 + 1 and sum(m.count for m in tl.saves) == 10_001
    assert any(m.kind == "final" and m.count == 1 for m in tl.saves)  # never merged away
    above = [g for g in tl.gaps if g.verdict == "above"]
    assert len(above) == 10 and all(g.count == 1 for g in above)  # every gap outside the band drawn alone
    assert sum(g.count for g in tl.gaps) == 10_000 - 1
    assert len(tl.gaps) <= 2 * len(above) + 2
    assert any("thinned" in note and "10,001" in note for note in tl.notes)


def test_the_model_is_pure_and_frozen() -> None:
    run = _foreign()
    a, b = build_timeline(run, Bounds()), build_timeline(run, Bounds())
    assert a == b
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.reason = "x"  # type: ignore[misc]
