"""What `audit report` writes: the report in the asked format, and with `--assets` its drawings as files.

Thin glue between the audit and the renderers: the HTML report and the `--assets` SVG files
need the run evidence the audit judged by (auditor.engine.audit_with_evidence), which the
other formats do not. The Markdown report links the very SVG text the HTML page inlines.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from auditor.render.html import Drawings, build_drawings, render_html
from auditor.render.svg import render_curves_svg, render_timeline_svg

DRAWING_FILES = (("Run timeline", "timeline.svg"), ("Training curves", "curves.svg"))


def run_of(evidence: Any) -> Any:
    """The run evidence, or None when no run was given; a run that cannot be read is drawn as not found."""
    if evidence.run_dir is None:
        return None
    try:
        return evidence.run
    except Exception:  # noqa: BLE001  (the matrix already reports the collector's error in its cells)
        return None


def drawings_for(result: Any, evidence: Any) -> Drawings:
    from auditor.gate import _git_head

    return build_drawings(result, run_of(evidence), _git_head(evidence.config.root))


def asset_files(drawings: Drawings, folder: Path) -> dict[Path, str]:
    """The SVG files `--assets DIR` writes (standalone: with their namespace)."""
    return {folder / DRAWING_FILES[0][1]: render_timeline_svg(drawings.timeline, standalone=True),
            folder / DRAWING_FILES[1][1]: render_curves_svg(drawings.curves, standalone=True)}


def image_links(folder: Path, report_file: Path | None) -> tuple[tuple[str, str], ...]:
    """(title, path) of each drawing, relative to the report file's folder (or the working directory)."""
    from urllib.parse import quote

    base = report_file.parent if report_file is not None else Path.cwd()
    return tuple((title, quote(Path(os.path.relpath(folder / name, base)).as_posix()))
                 for title, name in DRAWING_FILES)


def report_text(result: Any, evidence: Any, fmt: str, *, ascii: bool, assets: Path | None,
                output: Path | None) -> tuple[str, dict[Path, str]]:
    """The report in `fmt`, and the files `--assets` adds (path -> text)."""
    from auditor.render import render, to_ascii
    from auditor.render.markdown import render_markdown

    files: dict[Path, str] = {}
    drawings = drawings_for(result, evidence) if (fmt == "html" or assets is not None) else None
    if drawings is not None and assets is not None:
        files = asset_files(drawings, assets)
    if fmt == "html":
        return render_html(result, drawings), files
    if fmt in ("markdown", "md") and assets is not None:
        text = render_markdown(result, ascii=ascii, images=image_links(assets, output))
        return (to_ascii(text) if ascii else text), files
    return render(result, fmt, ascii=ascii), files
