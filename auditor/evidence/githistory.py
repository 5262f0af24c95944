"""When files entered a project's own git history: the commit that added each one.

Commit times are history a reader can check (`git log`), unlike file mtimes, which a clone
or a copy sets to whatever moment it ran. Only a project whose root is itself the top of a
git repository is asked: a project that is a sub-folder of another repository (a fixture,
a corpus project, a vendored tree) has no history of its own, and the enclosing one is not it.

git is run as a reader of a hostile repository: no hooks, no fsmonitor, no pager, no
optional locks, a bounded time and output; a missing git or any failure means no history.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

GIT_TIMEOUT_S = 5.0
MAX_OUTPUT_BYTES = 4 * 1024 * 1024
_SAFE = ("-c", "core.fsmonitor=", "-c", "core.hooksPath=/dev/null", "-c", "core.pager=cat",
         "-c", "safe.directory=*", "--no-optional-locks")


@dataclass(frozen=True)
class Added:
    """The commit that first added a file."""

    time: float  # committer time, Unix seconds
    commit: str  # abbreviated hash


def _git(root: Path, *args: str) -> str | None:
    import subprocess  # here: only a project whose records need dating runs git

    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_CONFIG_NOSYSTEM="1", GIT_TERMINAL_PROMPT="0")
    try:
        done = subprocess.run(["git", *_SAFE, "-C", str(root), *args], capture_output=True, timeout=GIT_TIMEOUT_S,
                              env=env, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0 or len(done.stdout) > MAX_OUTPUT_BYTES:
        return None
    return done.stdout.decode("utf-8", errors="replace")


def is_own_repository(root: Path) -> bool:
    """Whether `root` is the top of a git repository (not a folder inside one)."""
    if not (root / ".git").exists():
        return False
    top = _git(root, "rev-parse", "--show-toplevel")
    return top is not None and os.path.realpath(top.strip()) == os.path.realpath(root)


def added(root: Path, paths: list[str]) -> dict[str, Added]:
    """For each of `paths` (relative to `root`) that the history holds, the commit that added it."""
    if not paths or not is_own_repository(root):
        return {}
    out = _git(root, "log", "--diff-filter=A", "--format=@%ct %h", "--name-only", "--no-renames", "--", *paths)
    if out is None:
        return {}
    wanted = set(paths)
    found: dict[str, Added] = {}
    current: Added | None = None
    for line in out.splitlines():
        if line.startswith("@"):
            stamp, _, commit = line[1:].partition(" ")
            current = Added(float(stamp), commit) if stamp.isdigit() else None
        elif line and current is not None and line in wanted:
            found[line] = current  # git log lists newest first: the oldest addition wins
    return found
