"""Jupyter notebooks as training code: the code cells of `train.ipynb`, read as Python whose line
numbers are the notebook file's own (each source line of a cell is one JSON string on its own line
in the layout Jupyter saves), so that a citation `train.ipynb:57` opens on the line that decided it.

IPython magics and shell escapes (`%matplotlib inline`, `!pip install x`, `%%time`) are blanked;
markdown cells are not code; a notebook in another layout (one string per cell) is refused with a
reason naming the file, as is one that is not JSON. Nothing in it is run.
"""

from __future__ import annotations

import json

import pytest

from auditor.notebooks import NotebookError, code_text


def _notebook(cells: list[tuple[str, list[str]]], indent: int | None = 1) -> str:
    nb = {"cells": [{"cell_type": kind, "metadata": {}, "source": lines,
                     **({"execution_count": None, "outputs": []} if kind == "code" else {})} for kind, lines in cells],
          "metadata": {"kernelspec": {"name": "python3"}}, "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(nb, indent=indent, ensure_ascii=False) + "\n"


def test_code_lines_keep_the_notebook_files_line_numbers():
    raw = _notebook([("markdown", ["# Train\n", "Saves every 2 minutes.\n"]),
                     ("code", ["import time\n", "\n", "for step in range(3):\n", "    print(step)"]),
                     ("code", ["x = \"é\"  # non-ASCII stays\n", "print(x)"])])
    code = code_text(raw, "train.ipynb")
    raw_lines, code_lines = raw.splitlines(), code.splitlines()
    assert len(code_lines) == len(raw_lines)
    for wanted in ("import time", "for step in range(3):", "    print(step)", 'x = "é"  # non-ASCII stays'):
        line = code_lines.index(wanted)
        assert json.loads(raw_lines[line].strip().rstrip(",")).rstrip("\n") == wanted
    assert "Saves every 2 minutes." not in code
    compile(code, "train.ipynb", "exec")  # it parses as Python


def test_magics_and_shell_escapes_are_blanked():
    raw = _notebook([("code", ["%matplotlib inline\n", "!pip install tqdm\n", "import os\n"]),
                     ("code", ["%%time\n", "total = sum(range(10))\n"])])
    code = code_text(raw, "nb.ipynb")
    assert "%" not in code and "!" not in code
    assert "import os" in code and "total = sum(range(10))" in code
    compile(code, "nb.ipynb", "exec")


@pytest.mark.parametrize("raw, why", [
    ('{"cells": [{"cell_type": "code", "source": "import os\\nx = 1\\n"}], "nbformat": 4}', "layout"),
    ("not json at all", "JSON"),
    ('{"cells": "nope", "nbformat": 4}', "cells"),
])
def test_a_notebook_that_cannot_be_aligned_is_refused_with_a_reason(raw, why):
    with pytest.raises(NotebookError) as err:
        code_text(raw, "odd.ipynb")
    assert "odd.ipynb" in str(err.value) and why in str(err.value)
