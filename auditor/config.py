"""Project configuration: `[tool.audit]` in pyproject.toml, or `audit.yaml` at the project root.

When both exist, audit.yaml wins (whole file; the two are not merged). Nothing has to be
configured: the keys that say where things are (documents, code, entry point, tests, JUnit,
TDD records, run directory) are discovered (auditor.discovery, applied by auditor.resolve)
unless the file sets them, and a key that is set overrides discovery. An unknown key or a
value of the wrong type is a ConfigError naming the file and the key.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from auditor import safeio
from auditor.safeio import compile_pattern


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
    requirements: tuple[str, ...] = ()
    """the documents rules cite [default: discovered]"""
    rules: str = "rules"
    """folder of rule files"""
    source: tuple[str, ...] = ()
    """folders/files holding the training code [default: discovered]"""
    entry_point: str = ""
    """how training starts: a script, `-m pkg`, `file:function` or `file:Class.method` [default: discovered]"""
    main_module: str = ""
    """file whose __main__ block / CLI starts training [default: discovered]"""
    checkpoint_save_functions: tuple[str, ...] = _strs("save", "save_checkpoint", "torch.save", "joblib.dump")
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
    tests: tuple[str, ...] = ()
    """test folders/files [default: discovered]"""
    junit: tuple[str, ...] = ()
    """JUnit XML result files (globs) [default: discovered by content]"""
    tdd_artifacts: tuple[str, ...] = ()
    """folders/files of TDD evidence [default: discovered by content]"""
    run_dir: str = ""
    """default run directory for --run [default: discovered]"""
    checkpoint_patterns: tuple[str, ...] = _strs("checkpoints/*.pt", "*.pt")
    """globs for checkpoint files in a run directory"""
    epoch_pattern: str = r"epoch[_-]?(\d+)"
    """regex that pulls an epoch number from a foreign checkpoint name"""
    progress_bounds_s: tuple[float, float] = (30.0, 60.0)
    """allowed progress refresh period, seconds"""
    checkpoint_bounds_s: tuple[float, float] = (60.0, 300.0)
    """allowed checkpoint interval, seconds"""
    required_tests: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """(rule id, test names): tests a rule's Tested? column requires by name, besides behaviour"""
    explicit: frozenset[str] = frozenset()
    """the keys the configuration file sets; every other discoverable key is discovered"""
    discovery: Any = field(default=None, compare=False, repr=False)
    """what auditor.discovery found (an auditor.discovery.Discovery), once resolved"""

    def required_tests_for(self, rule_id: str) -> tuple[str, ...]:
        """The test names the configuration requires for `rule_id` (none by default)."""
        return next((names for rid, names in self.required_tests if rid == rule_id), ())

    def path(self, relative: str | Path) -> Path:
        """`relative` resolved against the project root (absolute paths are kept)."""
        p = Path(relative)
        return p if p.is_absolute() else self.root / p

    def default_run_dir(self) -> Path | None:
        """The configured run directory when it exists, else None."""
        if not self.run_dir:
            return None
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
    "tests": "strs",
    "junit": "strs",
    "tdd_artifacts": "strs",
    "run_dir": "str",
    "checkpoint_patterns": "strs",
    "epoch_pattern": "regex",
    "progress_bounds_s": "bounds",
    "checkpoint_bounds_s": "bounds",
    "required_tests": "tests_by_rule",
}

CONFIG_KEYS = tuple(_KINDS)


def _convert(where: str, key: str, value: Any) -> Any:
    kind = _KINDS[key]
    if kind == "str" or kind == "regex":
        if not isinstance(value, str) or not value:
            raise ConfigError(f"{where}: key {key!r} must be a non-empty string, got {value!r}")
        if kind == "regex":
            try:
                compile_pattern(value)
            except ValueError as exc:
                raise ConfigError(f"{where}: key {key!r} is refused: {exc}") from None
        return value
    if kind == "tests_by_rule":
        ok = isinstance(value, dict) and all(
            isinstance(k, str) and isinstance(v, list) and all(isinstance(n, str) and n for n in v)
            for k, v in value.items())
        if not ok:
            raise ConfigError(f"{where}: key {key!r} must map rule ids to lists of test names, got {value!r}")
        return tuple((k, tuple(v)) for k, v in value.items())
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
    """(the configuration file read, its table), as `audit drill` reads its own settings."""
    source, table, _lines = _read_table_with_lines(project_root)
    return source, table


def _read_table_with_lines(project_root: Path) -> tuple[Path | None, dict[str, Any], dict[str, int]]:
    """(the file read, its table, the line of each top-level key) through auditor.safeio."""
    inside = safeio.project(project_root)
    yaml_path = project_root / "audit.yaml"
    if yaml_path.exists() or yaml_path.is_symlink():
        try:
            doc = safeio.read_yaml(yaml_path, within=inside, shown=str(yaml_path))
        except yaml.YAMLError as exc:
            line = safeio.yaml_error_line(exc)
            where = f"{yaml_path}:{line}" if line is not None else str(yaml_path)
            raise ConfigError(f"{where}: not valid YAML: {exc}") from None
        except (FileNotFoundError, NotADirectoryError):
            doc = None
        except safeio.READ_ERRORS as exc:
            raise ConfigError(safeio.describe(exc, str(yaml_path))) from None
        if doc is not None:
            if doc.data is None:
                return yaml_path, {}, {}
            if not isinstance(doc.data, dict):
                raise ConfigError(f"{yaml_path}: must be a mapping of keys to values, got {type(doc.data).__name__}")
            return yaml_path, doc.data, _key_lines(doc.node)
    toml_path = project_root / "pyproject.toml"
    if toml_path.exists() or toml_path.is_symlink():
        import tomllib  # here: most projects audited have no pyproject.toml

        try:
            doc = tomllib.loads(safeio.read_text(toml_path, within=inside, shown=str(toml_path), strict=True))
        except (FileNotFoundError, NotADirectoryError):
            return None, {}, {}
        except (tomllib.TOMLDecodeError, *safeio.READ_ERRORS) as exc:
            raise ConfigError(f"{toml_path}: not valid TOML: {exc}" if isinstance(exc, tomllib.TOMLDecodeError)
                              else safeio.describe(exc, str(toml_path))) from None
        table = doc.get("tool", {}).get("audit")
        if table is None:
            return None, {}, {}
        if not isinstance(table, dict):
            raise ConfigError(f"{toml_path}: [tool.audit] must be a table")
        return toml_path, table, {}
    return None, {}, {}


def _key_lines(root: yaml.Node | None) -> dict[str, int]:
    """Line of each top-level key of an audit.yaml (for messages)."""
    if not isinstance(root, yaml.MappingNode):
        return {}
    return {str(k.value): k.start_mark.line + 1 for k, _ in root.value}


# keys naming paths inside the project (globs included); entry_point's file part is checked too
_PROJECT_PATH_KEYS = ("requirements", "rules", "source", "main_module", "tests", "junit", "tdd_artifacts", "run_dir")


def _outside(root: Path, value: str) -> bool:
    """Whether `value` (relative to `root`) points outside the project, by its text or where it resolves."""
    if Path(value).is_absolute():
        return True
    normal = os.path.normpath(os.path.join(root, value))
    if normal != str(root) and not normal.startswith(str(root).rstrip(os.sep) + os.sep):
        return True
    # where its folder resolves: listing a folder that links out would show names from outside (a
    # configured *file* that links out is refused when read, and reported as one entry)
    fixed = Path(normal)
    while any(ch in fixed.name for ch in "*?[") and fixed != fixed.parent:
        fixed = fixed.parent
    folder = fixed if fixed.is_dir() else fixed.parent
    return not safeio.is_inside(os.path.realpath(folder), os.path.realpath(root))


def _check_inside(where: str, key: str, value: Any, root: Path) -> None:
    if key == "entry_point" or key == "checkpoint_patterns" or key in _PROJECT_PATH_KEYS:
        for v in (value,) if isinstance(value, str) else value:
            if "\x00" in v:  # no path holds one; os.path would raise ValueError on it
                raise ConfigError(f"{where}: key {key!r} value {v!r} holds a NUL character; no path can")
    if key == "entry_point":
        if value.startswith("-m "):
            return  # a module name, not a path
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


def load_config(project_root: str | Path) -> ProjectConfig:
    """Read the configuration of the project at `project_root` (defaults where absent)."""
    root = Path(project_root).resolve()
    if not root.is_dir():
        raise ConfigError(f"{project_root}: project directory does not exist")
    source, table, lines = _read_table_with_lines(root)
    where = str(source) if source else str(root)
    if source is not None and source.name == "pyproject.toml":
        where = f"{source} [tool.audit]"
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key == "drill":
            continue  # the `audit drill` settings, read and checked by auditor.drill.load_drill_table
        at = f"{source}:{lines[key]}" if key in lines else where
        if key not in _KINDS:
            known = ", ".join(CONFIG_KEYS)
            raise ConfigError(f"{at}: unknown key {key!r} (known keys: {known})")
        values[key] = _convert(at, key, value)
        _check_inside(at, key, values[key], root)
    return ProjectConfig(root=root, source_file=source, explicit=frozenset(values), **values)


def project_name(root: Path) -> str:
    """The project's name for reports: `[project].name` of its pyproject.toml, else its folder's name."""
    toml_path = root / "pyproject.toml"
    try:
        text = safeio.read_text(toml_path, within=safeio.project(root), strict=True)
    except safeio.READ_ERRORS:
        text = None
    name = None
    if text is not None:
        import tomllib

        try:
            name = tomllib.loads(text).get("project", {}).get("name")
        except (tomllib.TOMLDecodeError, AttributeError, RecursionError):
            name = None  # a broken pyproject.toml is reported where it matters ([tool.audit]), not here
    return name if isinstance(name, str) and name.strip() else root.resolve().name


def with_junit(config: ProjectConfig, junit: tuple[str, ...] | list[str]) -> ProjectConfig:
    """The same configuration with the JUnit globs replaced (the CLI's --junit), as if configured."""
    return dataclasses.replace(config, junit=tuple(junit), explicit=config.explicit | {"junit"})


__all__ = ["CONFIG_KEYS", "ConfigError", "ProjectConfig", "load_config", "project_name", "with_junit"]
