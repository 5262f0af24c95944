"""A setting documented in a table row: the value in one cell, its unit and meaning in the next.

Held-out corpus project shell_env documents its checkpoint period only so:
`| SAVE_EVERY_SECONDS | 90 | wall-clock seconds between checkpoints |`. A number cell followed by a
cell that begins with its unit is one quantity ("90 wall-clock seconds between checkpoints"), and
N seconds between checkpoints is a wall-clock period like "every N seconds".
"""

from __future__ import annotations

import pytest

from auditor.evidence.requirements import OTHER, STATED, find, statements


def found(text: str, requirement: str = "checkpoint-interval"):
    return find(requirement, statements("README.md", text))


TABLE = """\
| variable             | default | meaning                                 |
|----------------------|---------|-----------------------------------------|
| `SAVE_EVERY_SECONDS` | {value} | wall-clock seconds between checkpoints  |
| `LOG_EVERY`          | 20      | iterations between `it N loss X` lines  |
"""


def test_a_table_rows_value_and_unit_cells_are_one_wall_clock_period():
    got = found(TABLE.format(value="90"))
    assert got is not None and got.level == STATED and got.line == 3, got


def test_the_same_row_outside_the_bounds_is_another_interval():
    got = found(TABLE.format(value="900"))
    assert got is not None and got.level == OTHER, got


@pytest.mark.parametrize("text", [
    "Checkpoints are written with 90 seconds between them.",  # no checkpoint noun after 'between'
    "| `READ_DELAY` | 0.1 | seconds of simulated latency between batches |",
])
def test_seconds_between_other_things_are_no_checkpoint_period(text):
    got = found(text)
    assert got is None or got.level != STATED, got
