"""`audit compare` (and `audit check --expect`) as text: every verdict that differs, or that they match."""

from __future__ import annotations

from auditor.compare import Difference


def render_differences(diffs: list[Difference], old_name: str, new_name: str) -> str:
    if not diffs:
        return f"verdicts match: {old_name} and {new_name}\n"
    lines = [f"{len(diffs)} verdict difference{'s' if len(diffs) != 1 else ''} ({old_name} -> {new_name}):"]
    lines += [f"  {d}" for d in diffs]
    return "\n".join(lines) + "\n"
