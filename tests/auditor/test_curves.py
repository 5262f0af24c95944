"""The training curves model (auditor.render.curves) and their SVG."""

from __future__ import annotations

import re
from pathlib import Path

from auditor.config import load_config
from auditor.evidence.history import MetricPoint, MetricSeries, RunHistory, Session
from auditor.evidence.run import RunEvidence, collect
from auditor.render.curves import build_curves
from auditor.render.svg import render_curves_svg

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
FOREIGN = FIXTURES / "foreign_restart_project"


def test_foreign_curves_are_on_a_time_axis_with_the_resume_marked_and_the_line_broken_there() -> None:
    run = collect(load_config(FOREIGN), FOREIGN / "results" / "run")
    curves = build_curves(run)
    assert curves.drawable and curves.axis == "time"
    assert [c.name for c in curves.curves] == ["loss", "val_acc", "val_loss"]
    (resume,) = curves.resumes
    assert resume.x == run.history.sessions[1].resume_time and "ckpt/ckpt_epoch_12.pt" in resume.title
    loss = curves.curves[0]
    restart = run.history.sessions[1].start
    first_after = next(i for i, (x, _) in enumerate(loss.points) if x >= restart)
    assert loss.segments == (0, first_after)
    svg = render_curves_svg(curves)
    assert len(re.findall(r'<line class="resume"', svg)) == 3  # one per panel
    assert svg.count(" M") + svg.count('d="M') >= 2 * 3


def _series(n: int) -> RunEvidence:
    run = RunEvidence(run_dir=Path("/x"), found=True)
    points = tuple(MetricPoint(1000.0 + i, i, 1.0 / (1 + i) + (5.0 if i == n // 2 else 0.0)) for i in range(n))
    run.history = RunHistory(metrics=(MetricSeries("loss", False, "train.log", points),),
                             sessions=(Session(1000.0, 1000.0 + n, "finished", "a", "b"),))
    return run


def test_a_long_series_is_thinned_keeping_its_spike_and_says_so() -> None:
    curves = build_curves(_series(50_000), max_points=600)
    (c,) = curves.curves
    assert len(c.points) <= 600 and c.total == 50_000
    assert max(v for _, v in c.points) == c.high > 5.0  # the spike survives thinning
    assert any("50,000 values drawn as" in n for n in curves.notes)


def test_no_metrics_or_no_run_is_said_not_drawn(tmp_path: Path) -> None:
    assert not build_curves(None).drawable
    (tmp_path / "train.log").write_text("2026-01-01 10:00:00 hello\n")
    empty = build_curves(collect(load_config(tmp_path), tmp_path))
    assert not empty.drawable and "no loss or validation metric" in empty.reason
    assert "No curves: no loss or validation metric" in render_curves_svg(empty)


def test_values_with_steps_but_no_times_go_on_a_step_axis() -> None:
    run = RunEvidence(run_dir=Path("/x"), found=True)
    run.history = RunHistory(metrics=(MetricSeries("eval_loss", True, "trainer_state.json", tuple(
        MetricPoint(None, s, 1.0 / s) for s in (10, 20, 30))),))
    curves = build_curves(run)
    assert curves.axis == "step" and curves.curves[0].validation
    assert "step 10" in render_curves_svg(curves)
