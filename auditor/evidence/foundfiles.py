"""Checkpoint files a test asserts on that training did not write.

- Planted: the test writes checkpoint-named files itself before it starts training (`(tmp /
  "ckpt_100.pt").touch()`); the files it then counts need not be training's.
- Committed: the test lists them in a folder rooted at its own file (`Path(__file__).parent /
  "fixtures" / "sample_run"`) that no call starting training is given; files kept with the
  tests are not what the run wrote.
"""

from __future__ import annotations

import ast

from auditor.evidence.behaviour import _CHECKPOINT_MARK, Targets, facts, segment, training_starts
from auditor.evidence.code.syntax import names_in

_PLANTING = {"touch", "write_bytes", "write_text", "save", "copy", "copyfile", "copy2", "symlink_to"}
_LISTING = {"glob", "rglob", "iterdir", "listdir", "scandir"}


def plants_checkpoints(node: ast.AST, text: str, aliases: dict[str, str], strings: list[str], targets: Targets,
                       driving: set[str]) -> bool:
    """Whether the test writes checkpoint-named files itself before it starts training."""
    starts = training_starts(node, aliases, strings, targets, driving)
    if not starts:
        return False
    first = min(sub.lineno for sub in starts)
    return any(short in _PLANTING and sub.lineno < first and _CHECKPOINT_MARK.search(segment(text, sub))
               for _name, short, sub in facts(node, aliases).calls)


def lists_committed_files(node: ast.AST, aliases: dict[str, str], constants: dict[str, list[ast.AST]],
                          strings: list[str], targets: Targets, driving: set[str]) -> bool:
    """Whether every folder the test lists is rooted at its own file (module constants built from
    `__file__`) and given to none of the calls that start training."""
    rooted = _rooted(constants)
    listed = [sub for _name, short, sub in facts(node, aliases).calls if short in _LISTING]
    if not rooted or not listed:
        return False
    given = set().union(*(names_in(arg) for sub in training_starts(node, aliases, strings, targets, driving)
                          for arg in list(sub.args) + [k.value for k in sub.keywords]), set())
    roots = [names_in(sub.func.value) if isinstance(sub.func, ast.Attribute) else set().union(
        *(names_in(a) for a in sub.args), set()) for sub in listed]
    return all(r & rooted and not r & given for r in roots)


def _rooted(constants: dict[str, list[ast.AST]]) -> set[str]:
    """Module constants built from `__file__`, directly or from another such constant."""
    out: set[str] = set()
    for _ in range(4):
        grown = {name for name, values in constants.items() if name not in out and any(
            "__file__" in names_in(v) or names_in(v) & out for v in values)}
        if not grown:
            break
        out |= grown
    return out
