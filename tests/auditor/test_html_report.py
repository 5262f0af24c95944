"""`audit report --format html`: one self-contained, deterministic, escaped file; Markdown with --assets."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from click.testing import CliRunner

from auditor.cli import main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
FOREIGN = FIXTURES / "foreign_restart_project"
DATE = "2026-03-01"


def _report(tmp_path: Path, *args: str, name: str = "report.html") -> tuple[str, Path]:
    out = tmp_path / name
    result = CliRunner().invoke(main, ["report", "--date", DATE, "-o", str(out), *args])
    assert result.exit_code == 0, result.output
    return out.read_text(encoding="utf-8"), out


def _foreign(tmp_path: Path, *args: str) -> str:
    return _report(tmp_path, "--project", str(FOREIGN), "--format", "html", *args)[0]


def test_the_page_is_one_file_that_fetches_nothing(tmp_path: Path) -> None:
    html = _foreign(tmp_path)
    assert html.startswith("<!DOCTYPE html>")
    assert "<script" not in html.lower()
    for fetching in (r"<link\b", r"\bsrc\s*=", r"@import", r"url\(", r"\bhref\s*=\s*\"(?!#)"):
        assert not re.search(fetching, html, re.I), fetching
    csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)"', html)
    assert csp and "default-src 'none'" in csp.group(1)


def test_the_header_names_project_run_commit_and_date(tmp_path: Path) -> None:
    html = _foreign(tmp_path)
    header = html[html.index("<header"):html.index("</header>")]
    for text in (str(FOREIGN), "results/run", DATE, "Commit"):
        assert text in header, text


def test_every_matrix_cell_links_to_its_evidence(tmp_path: Path) -> None:
    html = _foreign(tmp_path)
    matrix = html[html.index('<table class="matrix"'):html.index("</table>")]
    links = re.findall(r'<td class="v-[a-z-]+"><a href="#([^"]+)"', matrix)
    assert len(links) == 8 * 4  # every cell of 8 rules x 4 columns
    for anchor in links:
        assert f'id="{anchor}"' in html, anchor
    # the cell's evidence is there: the interval rule's Working? cell names the measured gap
    block = html[html.index('id="r7-working"'):]
    block = block[:block.index("</section>") if "</section>" in block else len(block)]
    assert "391" in block


def test_gaps_remedies_and_checklist_are_on_the_page(tmp_path: Path) -> None:
    html = _foreign(tmp_path)
    for heading in ("Gaps", "Pre-launch checklist", "Run timeline", "Training curves", "Evidence by rule"):
        assert f">{heading}</h2>" in html, heading
    remedy = html[html.index('<div class="remedy">', html.index("<code>checkpoint-interval</code></h3>")):]
    assert remedy.index("Make the interval a wall-clock period") < remedy.index("</div>")
    assert "Required tests pass" in html or "Checkpoint Interval 1-5 min" in html[html.index('id="checklist"'):]


def test_the_timeline_counts_saves_and_sessions_of_the_foreign_restart(tmp_path: Path) -> None:
    html = _foreign(tmp_path)
    svg = html[html.index('<svg class="timeline"'):]
    svg = svg[:svg.index("</svg>")]
    assert 'data-saves="10"' in svg and 'data-sessions="2"' in svg
    assert len(re.findall(r'class="save ', svg)) == 10
    assert len(re.findall(r'<g class="session ', svg)) == 2
    assert 'class="session killed"' in svg and 'class="session finished"' in svg
    assert len(re.findall(r'class="gap above"', svg)) == 1
    assert len(re.findall(r'class="resume"', svg)) == 1
    assert "<title>" in svg
    curves = html[html.index('<svg class="curves"'):]
    assert 'data-series="' in curves and "val_loss" in curves


def test_the_projects_own_bounds_colour_the_gaps(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(Path(__file__).resolve().parents[2] / "auditor" / "builtin_rules", rules)
    interval = rules / "70-checkpoint-interval.yaml"
    interval.write_text(interval.read_text().replace("{min_s: 60, max_s: 300}", "{min_s: 10, max_s: 100}"))
    html = _foreign(tmp_path, "--rules", str(rules))
    assert len(re.findall(r'class="gap above"', html)) == 6 and 'class="gap within"' not in html
    assert "10 s" in html and "100 s" in html


def test_the_same_input_and_date_give_the_same_bytes(tmp_path: Path) -> None:
    a = _report(tmp_path, "--project", str(FOREIGN), "--format", "html", name="a.html")[1].read_bytes()
    b = _report(tmp_path, "--project", str(FOREIGN), "--format", "html", name="b.html")[1].read_bytes()
    assert a == b


HOSTILE = '"><script>alert(1)</script><img src=x onerror=alert(2)>\'&amp;'


def make_hostile_project(root: Path) -> Path:
    """A project whose name, run files and log text carry markup and quotes."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(f"[project]\nname = '''{HOSTILE}'''\n")
    (root / "train.py").write_text(f"# {HOSTILE}\ndef train():\n    pass\n")
    run = root / "run"
    run.mkdir()
    lines = [f"2026-01-01 10:0{i}:00 Starting training {HOSTILE}" if i in (0, 5) else
             f"2026-01-01 10:0{i}:00 epoch {i} loss=0.{9 - i} {HOSTILE}" for i in range(9)]
    lines.insert(6, f"2026-01-01 10:05:01 resuming from {HOSTILE}epoch_2.pt")
    (run / "train.log").write_text("\n".join(lines) + "\n")
    for i in (1, 2, 6):
        (run / f"epoch_{i}{HOSTILE.replace('/', '_')}.pt").write_bytes(b"not a torch file")
    return root


def test_hostile_names_paths_and_log_text_render_as_text(tmp_path: Path) -> None:
    project = make_hostile_project(tmp_path / "proj")
    out = tmp_path / "hostile.html"
    result = CliRunner().invoke(main, ["report", "--project", str(project), "--run", str(project / "run"),
                                       "--format", "html", "--date", DATE, "-o", str(out)])
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert "<script" not in html.lower() and "<img" not in html.lower()
    assert HOSTILE not in html and '"><script' not in html  # no quote closes an attribute early
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_markdown_links_the_same_svg_written_with_assets(tmp_path: Path) -> None:
    md, _ = _report(tmp_path, "--project", str(FOREIGN), "--format", "md", "--assets", str(tmp_path / "img"),
                      name="STATUS.md")
    timeline = (tmp_path / "img" / "timeline.svg").read_text(encoding="utf-8")
    curves = (tmp_path / "img" / "curves.svg").read_text(encoding="utf-8")
    assert "![Run timeline](img/timeline.svg)" in md and "![Training curves](img/curves.svg)" in md
    assert timeline.startswith("<svg") and 'xmlns="http://www.w3.org/2000/svg"' in timeline
    html = _foreign(tmp_path)
    inline = html[html.index('<svg class="timeline"'):]
    inline = inline[:inline.index("</svg>") + 6]
    assert inline == timeline.replace(' xmlns="http://www.w3.org/2000/svg"', "").rstrip("\n")
    assert "<svg" in curves


def test_markdown_without_assets_and_the_terminal_stay_as_they_were(tmp_path: Path) -> None:
    md, _ = _report(tmp_path, "--project", str(FOREIGN), name="STATUS.md")
    assert "timeline" not in md.lower() and ".svg" not in md
    result = CliRunner().invoke(main, ["check", "--project", str(FOREIGN), "--date", DATE, "--ascii"])
    assert "<svg" not in result.output and "timeline" not in result.output.lower()


def test_html_to_stdout_and_unknown_assets_folder_is_made(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["report", "--project", str(FOREIGN), "--format", "html", "--date", DATE])
    assert result.exit_code == 0 and result.output.startswith("<!DOCTYPE html>")
    assert "</html>" in result.output


def test_control_characters_and_bidi_overrides_show_as_visible_escapes(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    (project / "run").mkdir(parents=True)
    (project / "pyproject.toml").write_text("[project]\nname = \"clear\\u001b[2Jscreen\\u202eevil\"\n")
    (project / "run" / "train.log").write_text("2026-01-01 10:00:00 Starting training \x1b[31mred\x07\n"
                                               "2026-01-01 10:01:00 epoch 1 loss=0.5\n")
    out = tmp_path / "ctl.html"
    result = CliRunner().invoke(main, ["report", "--project", str(project), "--run", str(project / "run"),
                                       "--format", "html", "--date", DATE, "-o", str(out)])
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert "\x1b" not in html and "\u202e" not in html and "\x07" not in html
    assert "clear\\x1b[2Jscreen" in html
