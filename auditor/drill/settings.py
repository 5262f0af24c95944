"""What a drill runs and how: `DrillSettings` from command-line options over the project's
`[tool.audit.drill]` / `audit.yaml` `drill:` table over defaults, and command templates."""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_PREPARE = "{python} -m magvit data make --out {data} --n 24 --frames 4 --size 16"
DEFAULT_COMMAND = (
    "{python} -m magvit train --data {data} --run-dir {run_dir} --config magvit/configs/tiny.yaml "
    "--checkpoint-every 2steps --epochs 12"
)
PLACEHOLDERS = ("python", "run_dir", "scratch", "data")


class DrillUsageError(Exception):
    """The drill cannot be run as asked (bad command, placeholder, option or config); exit 2."""


@dataclass(frozen=True)
class DrillSettings:
    """What to drill and how; built from options over `[tool.audit.drill]` / `drill:` over defaults."""

    project: Path
    """the project root: commands run here"""
    command: str
    """the training command, with {python} {run_dir} {scratch} {data} placeholders"""
    prepare: str | None = None
    """a command run once before the drill (e.g. making a tiny data set), same placeholders"""
    checkpoint_patterns: tuple[str, ...] = ("checkpoints/*.pt", "*.pt")
    """globs for checkpoint files, relative to the run directory"""
    epoch_pattern: str = r"epoch[_-]?(\d+)"
    """regex that pulls a position from a foreign checkpoint's name"""
    kills: int = 3
    """how many SIGKILLs to land"""
    seed: int = 0
    """seed of the kill plan"""
    interval_s: float | None = None
    """the trainer's checkpoint interval in seconds, when its manifests do not say"""
    compare_final: bool = True
    """run once more without kills and compare the final checkpoints' tensors"""
    timeout_s: float = 600.0
    """the whole drill's time limit"""
    run_dir: Path | None = None
    """where the drilled run goes; a fresh temporary directory when None"""


_DRILL_KEYS: dict[str, Callable[[str, Any], Any]] = {}


def _key(name: str):
    def register(fn):
        _DRILL_KEYS[name] = fn
        return fn

    return register


@_key("command")
@_key("prepare")
def _text(where: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise DrillUsageError(f"{where}: must be a non-empty command string, got {value!r}")
    return value


@_key("checkpoint_pattern")
def _patterns(where: str, value: Any) -> tuple[str, ...]:
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not values or not all(isinstance(v, str) and v for v in values):
        raise DrillUsageError(f"{where}: must be a glob or a list of globs, got {value!r}")
    return tuple(values)


@_key("kills")
@_key("seed")
def _count(where: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise DrillUsageError(f"{where}: must be a whole number >= 0, got {value!r}")
    return value


@_key("interval_s")
@_key("timeout_s")
def _seconds(where: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise DrillUsageError(f"{where}: must be a positive number of seconds, got {value!r}")
    return float(value)


@_key("compare_final")
def _flag(where: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise DrillUsageError(f"{where}: must be true or false, got {value!r}")
    return value


def load_drill_table(project: Path) -> dict[str, Any]:
    """The `drill` table of the project configuration, checked and converted (empty when absent)."""
    from auditor.config import ConfigError, _read_table

    try:
        source, table = _read_table(project)
    except ConfigError as exc:
        raise DrillUsageError(str(exc)) from exc
    drill = table.get("drill")
    if drill is None:
        return {}
    where = f"{source} [tool.audit.drill]" if source and source.name == "pyproject.toml" else f"{source} drill:"
    if not isinstance(drill, dict):
        raise DrillUsageError(f"{where} must be a table of keys to values")
    values = {}
    for key, value in drill.items():
        if key not in _DRILL_KEYS:
            raise DrillUsageError(f"{where}: unknown key {key!r} (known keys: {', '.join(sorted(_DRILL_KEYS))})")
        values[key] = _DRILL_KEYS[key](f"{where} key {key!r}", value)
    return values


def resolve_settings(project: Path, **options: Any) -> DrillSettings:
    """Settings from command-line options (None = not given) over the project's drill table over defaults."""
    from auditor.config import ConfigError, load_config

    project = project.resolve()
    if not project.is_dir():
        raise DrillUsageError(f"--project {project}: not a directory")
    table = load_drill_table(project)
    try:
        config = load_config(project)
    except ConfigError as exc:
        raise DrillUsageError(str(exc)) from exc
    patterns, epoch_pattern = config.checkpoint_patterns, config.epoch_pattern
    given = {k: v for k, v in options.items() if v is not None and v != ()}
    command = given.get("command") or table.get("command")
    prepare = given.get("prepare") or table.get("prepare")
    if command is None:
        command, prepare = DEFAULT_COMMAND, prepare or DEFAULT_PREPARE
    return DrillSettings(
        project=project,
        command=command,
        prepare=prepare,
        checkpoint_patterns=tuple(given.get("checkpoint_patterns") or table.get("checkpoint_pattern") or patterns),
        epoch_pattern=epoch_pattern,
        kills=given.get("kills", table.get("kills", DrillSettings.kills)),
        seed=given.get("seed", table.get("seed", DrillSettings.seed)),
        interval_s=given.get("interval_s", table.get("interval_s")),
        compare_final=given.get("compare_final", table.get("compare_final", True)),
        timeout_s=given.get("timeout_s", table.get("timeout_s", DrillSettings.timeout_s)),
        run_dir=Path(given["run_dir"]).resolve() if given.get("run_dir") else None,
    )


def render_command(template: str, values: Mapping[str, str], what: str = "--command", cwd: Path | None = None) -> list[str]:
    """The argv of `template` with its placeholders filled; DrillUsageError naming what is wrong.

    The program must exist: on PATH, or as a file relative to `cwd` (where it will run).
    """
    try:
        tokens = shlex.split(template)
    except ValueError as exc:
        raise DrillUsageError(f"{what} {template!r} cannot be parsed: {exc}") from None
    if not tokens:
        raise DrillUsageError(f"{what} is empty")
    argv = []
    for token in tokens:
        for name in re.findall(r"\{(\w*)\}", token):
            if name not in PLACEHOLDERS:
                known = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
                raise DrillUsageError(f"{what}: unknown placeholder {{{name}}} (known: {known})")
        argv.append(re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], token))
    program = argv[0]
    import shutil  # here: an audit reads drill results without ever starting one

    if shutil.which(program) is None and not (Path(cwd or ".") / program).is_file():
        raise DrillUsageError(f"{what}: program {tokens[0]!r} not found")
    return argv
