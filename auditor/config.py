"""Project configuration: `[tool.audit]` in pyproject.toml, or `audit.yaml` at the project root.

When both exist, audit.yaml wins (whole file; the two are not merged). Every key has a
default that fits this repository; an unknown key or a value of the wrong type is a
ConfigError naming the file and the key.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


class ConfigError(Exception):
    """The project configuration cannot be used; the message names the file and the key."""


def _strs(*items: str) -> tuple[str, ...]:
    return tuple(items)


@dataclass(frozen=True)
class ProjectConfig:
    """Where the audited project keeps its documents, code, tests and runs.

    Paths are relative to `root` unless absolute; use `path()` to resolve them.
    """

    root: Path
    """the project root (absolute)"""
    source_file: Path | None = None
    """the file the configuration was read from; None when all defaults"""
    requirements: tuple[str, ...] = _strs("requirements.md", ".cursorrules")
    """the documents rules cite"""
    rules: str = "rules"
    """folder of rule files"""
    source: tuple[str, ...] = _strs("magvit")
    """folders/files holding the training code"""
    entry_point: str = "magvit/train.py:train"
    """`file:function` that runs training"""
    main_module: str = "magvit/cli.py"
    """file whose __main__ block / CLI starts training"""
    checkpoint_save_functions: tuple[str, ...] = _strs("save", "save_checkpoint", "torch.save")
    """names whose call saves a checkpoint"""
    checkpoint_load_functions: tuple[str, ...] = _strs("load", "load_checkpoint", "resume")
    """names whose call restores state"""
    checkpoint_discovery_functions: tuple[str, ...] = _strs(
        "find_latest", "latest_valid", "glob", "iterdir", "listdir", "scandir"
    )
    """calls that look for existing checkpoints"""
    resume_parameters: tuple[str, ...] = _strs("resume", "resume_from")
    """parameter names that carry a resume path"""
    interval_parameters: tuple[str, ...] = _strs("checkpoint_every", "checkpoint_interval", "save_interval")
    """parameters whose default is the checkpoint interval"""
    progress_files: tuple[str, ...] = _strs("PROGRESS.txt", "progress.json")
    """file names a progress writer writes"""
    tests: str = "tests"
    """test folder"""
    junit: tuple[str, ...] = _strs("reports/junit.xml")
    """JUnit XML result files (globs)"""
    tdd_artifacts: tuple[str, ...] = _strs("artifacts/tdd")
    """folders/files of TDD evidence"""
    run_dir: str = "results/magvit_training"
    """default run directory for --run"""
    checkpoint_patterns: tuple[str, ...] = _strs("checkpoints/*.pt", "*.pt")
    """globs for checkpoint files in a run directory"""
    epoch_pattern: str = r"epoch[_-]?(\d+)"
    """regex that pulls an epoch number from a foreign checkpoint name"""
    progress_bounds_s: tuple[float, float] = (30.0, 60.0)
    """allowed progress refresh period, seconds"""
    checkpoint_bounds_s: tuple[float, float] = (60.0, 300.0)
    """allowed checkpoint interval, seconds"""

    def path(self, relative: str | Path) -> Path:
        """`relative` resolved against the project root (absolute paths are kept)."""
        p = Path(relative)
        return p if p.is_absolute() else self.root / p

    def default_run_dir(self) -> Path | None:
        """The configured run directory when it exists, else None."""
        p = self.path(self.run_dir)
        return p if p.is_dir() else None


# key -> kind of value; the kinds are checked and converted by _convert
_KINDS: dict[str, str] = {
    "requirements": "strs",
    "rules": "str",
    "source": "strs",
    "entry_point": "str",
    "main_module": "str",
    "checkpoint_save_functions": "strs",
    "checkpoint_load_functions": "strs",
    "checkpoint_discovery_functions": "strs",
    "resume_parameters": "strs",
    "interval_parameters": "strs",
    "progress_files": "strs",
    "tests": "str",
    "junit": "strs",
    "tdd_artifacts": "strs",
    "run_dir": "str",
    "checkpoint_patterns": "strs",
    "epoch_pattern": "regex",
    "progress_bounds_s": "bounds",
    "checkpoint_bounds_s": "bounds",
}

CONFIG_KEYS = tuple(_KINDS)


def _convert(where: str, key: str, value: Any) -> Any:
    kind = _KINDS[key]
    if kind == "str" or kind == "regex":
        if not isinstance(value, str) or not value:
            raise ConfigError(f"{where}: key {key!r} must be a non-empty string, got {value!r}")
        if kind == "regex":
            import re

            try:
                re.compile(value)
            except re.error as exc:
                raise ConfigError(f"{where}: key {key!r} is not a valid regular expression: {exc}") from None
            risk = _backtracking_risk(value)
            if risk:
                raise ConfigError(f"{where}: key {key!r} is refused: {risk}, which can make matching take "
                                  "exponential time; write it without nested repeats or alternation inside a repeat")
        return value
    if kind == "strs":
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise ConfigError(f"{where}: key {key!r} must be a list of non-empty strings, got {value!r}")
        return tuple(value)
    # bounds: [low, high] seconds
    ok = (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
        and 0 <= value[0] <= value[1]
    )
    if not ok:
        raise ConfigError(f"{where}: key {key!r} must be [low, high] seconds with 0 <= low <= high, got {value!r}")
    return (float(value[0]), float(value[1]))


def _read_table(project_root: Path) -> tuple[Path | None, dict[str, Any]]:
    yaml_path = project_root / "audit.yaml"
    if yaml_path.is_file():
        try:
            data = yaml.safe_load(yaml_path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
            where = f"{yaml_path}:{mark.line + 1}" if mark is not None else str(yaml_path)
            raise ConfigError(f"{where}: not valid YAML: {exc}") from None
        if data is None:
            return yaml_path, {}
        if not isinstance(data, dict):
            raise ConfigError(f"{yaml_path}: must be a mapping of keys to values, got {type(data).__name__}")
        return yaml_path, data
    toml_path = project_root / "pyproject.toml"
    if toml_path.is_file():
        try:
            doc = tomllib.loads(toml_path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{toml_path}: not valid TOML: {exc}") from None
        table = doc.get("tool", {}).get("audit")
        if table is None:
            return None, {}
        if not isinstance(table, dict):
            raise ConfigError(f"{toml_path}: [tool.audit] must be a table")
        return toml_path, table
    return None, {}


def _key_lines(source: Path | None) -> dict[str, int]:
    """Line of each top-level key of an audit.yaml (for messages); empty for TOML."""
    if source is None or source.suffix not in (".yaml", ".yml"):
        return {}
    try:
        root = yaml.compose(source.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except (yaml.YAMLError, UnicodeDecodeError, OSError):
        return {}
    if not isinstance(root, yaml.MappingNode):
        return {}
    return {str(k.value): k.start_mark.line + 1 for k, _ in root.value}


# keys naming paths inside the project (globs included); entry_point's file part is checked too
_PROJECT_PATH_KEYS = ("requirements", "rules", "source", "main_module", "tests", "junit", "tdd_artifacts", "run_dir")
MAX_PATTERN_CHARS = 200


def _outside(root: Path, value: str) -> bool:
    """Whether `value` (relative to `root`, `..` resolved lexically) points outside the project."""
    if Path(value).is_absolute():
        return True
    normal = os.path.normpath(os.path.join(root, value))
    return normal != str(root) and not normal.startswith(str(root).rstrip(os.sep) + os.sep)


def _check_inside(where: str, key: str, value: Any, root: Path) -> None:
    if key == "entry_point":
        value = value.partition(":")[0]
    elif key == "checkpoint_patterns":  # relative to the run directory, which must not be left either
        for v in value:
            if Path(v).is_absolute() or ".." in Path(v).parts:
                raise ConfigError(f"{where}: key {key!r} value {v!r} points outside the run directory")
        return
    elif key not in _PROJECT_PATH_KEYS:
        return
    for v in (value,) if isinstance(value, str) else value:
        if _outside(root, v):
            hint = " (for a run kept elsewhere, pass --run DIR)" if key == "run_dir" else ""
            raise ConfigError(f"{where}: key {key!r} value {v!r} points outside the project {root}; "
                              f"configured paths must stay inside it{hint}")


def _backtracking_risk(pattern: str) -> str | None:
    """Why `pattern` could backtrack catastrophically, or None.

    Python's re has no time limit, so patterns from configuration files are refused when
    an unbounded repeat contains another unbounded repeat or an alternation (the shapes of
    `(a+)+`, `(a|a)*`), or when they are longer than MAX_PATTERN_CHARS.
    """
    if len(pattern) > MAX_PATTERN_CHARS:
        return f"longer than {MAX_PATTERN_CHARS} characters"
    try:
        import re._parser as sre_parse  # Python >= 3.11
    except ImportError:  # pragma: no cover
        import sre_parse  # type: ignore[no-redef]
    repeats = (sre_parse.MAX_REPEAT, sre_parse.MIN_REPEAT, getattr(sre_parse, "POSSESSIVE_REPEAT", None))

    def risky(items: Any, in_repeat: bool) -> str | None:
        for op, arg in items:
            found = None
            if op in repeats:
                low, high, body = arg
                if in_repeat and high != low:
                    return "a repeated group contains another variable repeat (like (a+)+)"
                unbounded = high == sre_parse.MAXREPEAT or high > 1000
                found = risky(body, in_repeat or unbounded)
            elif op == sre_parse.SUBPATTERN:
                found = risky(arg[-1], in_repeat)
            elif op == sre_parse.BRANCH:
                if in_repeat:
                    return "a repeated group contains an alternation (like (a|b)*)"
                for branch in arg[1]:
                    found = found or risky(branch, in_repeat)
            elif op in (sre_parse.ASSERT, sre_parse.ASSERT_NOT):
                found = risky(arg[1], in_repeat)
            if found:
                return found
        return None

    return risky(sre_parse.parse(pattern), False)


def load_config(project_root: str | Path) -> ProjectConfig:
    """Read the configuration of the project at `project_root` (defaults where absent)."""
    root = Path(project_root).resolve()
    if not root.is_dir():
        raise ConfigError(f"{project_root}: project directory does not exist")
    source, table = _read_table(root)
    where = str(source) if source else str(root)
    if source is not None and source.name == "pyproject.toml":
        where = f"{source} [tool.audit]"
    values: dict[str, Any] = {}
    lines = _key_lines(source)
    for key, value in table.items():
        if key == "drill":
            continue  # the `audit drill` settings, read and checked by auditor.drill.load_drill_table
        at = f"{source}:{lines[key]}" if key in lines else where
        if key not in _KINDS:
            known = ", ".join(CONFIG_KEYS)
            raise ConfigError(f"{at}: unknown key {key!r} (known keys: {known})")
        values[key] = _convert(at, key, value)
        _check_inside(at, key, values[key], root)
    return ProjectConfig(root=root, source_file=source, **values)


def project_name(root: Path) -> str:
    """The project's name for reports: `[project].name` of its pyproject.toml, else its folder's name."""
    toml_path = root / "pyproject.toml"
    try:
        name = tomllib.loads(toml_path.read_text(encoding="utf-8")).get("project", {}).get("name")
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError, AttributeError):
        name = None  # a broken pyproject.toml is reported where it matters ([tool.audit]), not here
    return name if isinstance(name, str) and name.strip() else root.resolve().name


def with_junit(config: ProjectConfig, junit: tuple[str, ...] | list[str]) -> ProjectConfig:
    """The same configuration with the JUnit globs replaced (the CLI's --junit)."""
    return dataclasses.replace(config, junit=tuple(junit))


__all__ = ["CONFIG_KEYS", "ConfigError", "ProjectConfig", "load_config", "project_name", "with_junit"]
