"""Jupyter notebooks read as Python, for the code column and discovery; nothing in them is run.

`code_text` gives the code cells of an `.ipynb` file as Python text whose line N is line N of the
notebook file: Jupyter saves each source line of a cell as one JSON string on its own line, after
the cell's `"source": [` line, so every code line keeps the place a reader finds it at, and a
citation `train.ipynb:57` opens on it. Every other line (markdown cells, outputs, metadata, the
JSON around them) is blank. IPython's magics and shell escapes are blanked; a cell that a cell
magic hands to another language (`%%bash`) is blanked whole.

A notebook in another layout (a cell's source as one multi-line string, a minified file) cannot
keep its lines, and is refused with the reason, as one error entry of the audit.
"""

from __future__ import annotations

import json

from auditor import rxcache, safeio

# a notebook keeps its outputs (plots, tables) beside its code: read up to this many bytes, of which
# only the code cells are kept
NOTEBOOK_CAP = 32 * 1024 * 1024
# cell magics whose cell is still Python: timed, captured or profiled
_PYTHON_CELL_MAGICS = {"time", "timeit", "capture", "prun", "debug"}
_MAGIC = rxcache.compile(r"\s*[%!]")


class NotebookError(safeio.ReadRefused):
    """A notebook whose code cells cannot be read line for line."""


def code_text(raw: str, shown: str) -> str:
    """The code cells of notebook text `raw` as Python, aligned line for line with `raw`."""
    try:
        notebook = safeio.parse_json(raw, shown=shown)
    except safeio.ReadRefused as exc:
        raise NotebookError(shown, f"not a notebook: {exc.why}", exc.line) from None
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        raise NotebookError(shown, "not a notebook: no list of cells")
    lines = raw.splitlines()
    out = [""] * len(lines)
    at = 0
    for number, cell in enumerate(cells, 1):
        if not isinstance(cell, dict):
            raise NotebookError(shown, f"not a notebook: cell {number} is not an object")
        at = _source_line(lines, at, shown, number)
        if cell.get("cell_type") == "code":
            _place(cell.get("source", ""), lines, at, out, shown, number)
        at += 1
    return "\n".join(out) + "\n"


def _source_line(lines: list[str], start: int, shown: str, number: int) -> int:
    """The index of the next `"source":` line at or after `start`."""
    for index in range(start, len(lines)):
        if lines[index].lstrip().startswith('"source":'):
            return index
    raise NotebookError(shown, f"cell {number}'s source is not on a line of its own (the layout Jupyter saves); "
                               "not analysed")


def _place(source: object, lines: list[str], at: int, out: list[str], shown: str, number: int) -> None:
    """Put a code cell's lines where the notebook file holds them."""
    if isinstance(source, str):  # `"source": "x = 1"`: one line, on the key's own line
        if "\n" in source.rstrip("\n"):
            raise NotebookError(shown, f"cell {number}'s source is one multi-line string, not a line per JSON "
                                       "string (the layout Jupyter saves); not analysed", at + 1)
        pieces, first = ([source] if source else []), at
        if pieces and not _holds(lines[at].split(":", 1)[1], source):
            raise NotebookError(shown, f"cell {number}'s source is not where its line says; not analysed", at + 1)
    elif isinstance(source, list) and all(isinstance(p, str) for p in source):
        pieces, first = source, at + 1
        for k, piece in enumerate(pieces):
            if first + k >= len(lines) or "\n" in piece.rstrip("\n") or not _holds(lines[first + k], piece):
                raise NotebookError(shown, f"cell {number}'s source lines are not one JSON string per line (the "
                                           "layout Jupyter saves); not analysed", first + k + 1)
    else:
        raise NotebookError(shown, f"not a notebook: cell {number}'s source is neither text nor a list of lines")
    head = pieces[0].strip() if pieces else ""
    foreign = head.startswith("%%") and head[2:].split(" ")[0] not in _PYTHON_CELL_MAGICS
    for k, piece in enumerate(pieces):
        text = piece.rstrip("\n").rstrip("\r")
        out[first + k] = "" if foreign or _MAGIC.match(text) else text


def _holds(line: str, piece: str) -> bool:
    """Whether a notebook file's line is the JSON string `piece` (with its comma, if any)."""
    held = line.strip().rstrip(",").strip()
    return held in (json.dumps(piece, ensure_ascii=False), json.dumps(piece))


__all__ = ["NOTEBOOK_CAP", "NotebookError", "code_text"]
