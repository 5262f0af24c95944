"""The Python files below a project's test folders that pytest would collect, found as pytest walks.

pytest never enters a folder its `norecursedirs` names (matched on the folder's name; by
default hidden folders, `build`, `dist`, `venv`, `node_modules`, `*.egg`, ...; a project's
pytest configuration replaces the default), nor a virtual environment. A conftest.py's
`collect_ignore` names paths relative to its own folder, exactly; its `collect_ignore_glob`
is matched with fnmatch against the whole path (`*` crosses folders). Conftests from the
project root down count. An ignored folder is not entered at all: a tests folder that holds
a corpus of other projects costs nothing.

Everything is read, never imported: the conftest's literal lists, the configuration's text.
"""

from __future__ import annotations

import ast
import fnmatch
import os
import shlex
from pathlib import Path

from auditor import safeio
from auditor.evidence.code.sources import MAX_SOURCE_BYTES

DEFAULT_NORECURSEDIRS = ("*.egg", ".*", "_darcs", "build", "CVS", "dist", "node_modules", "venv", "{arch}")
CONFIG_CAP = 1024 * 1024  # bytes of one pytest configuration file
# pytest's configuration files, in the order it looks for them, with their section; a pytest.ini is
# the one used even without its section, the others only when they hold theirs
_INI_FILES = (("pytest.ini", "pytest"), (".pytest.ini", "pytest"), ("pyproject.toml", None),
              ("tox.ini", "pytest"), ("setup.cfg", "tool:pytest"))
_NOT_HERE = object()  # the file holds no pytest section: pytest looks at the next one


def test_files(root: Path, entries: tuple[str, ...] | list[str]) -> list[Path]:
    """The .py files (sorted) below each test folder of `entries`, and each file entry as it is."""
    walk = _Walk(root, norecursedirs(root))
    paths: list[Path] = []
    for entry in entries:
        base = root / entry
        if base.is_dir():
            paths += walk.files(base)
        elif base.is_file():
            paths.append(base)
    return list(dict.fromkeys(paths))


class _Walk:
    def __init__(self, root: Path, norecurse: tuple[str, ...]) -> None:
        self.root, self.norecurse = root, norecurse
        self._ignores: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}  # folder -> (paths, globs)

    def files(self, base: Path) -> list[Path]:
        found: list[Path] = []
        pending = [str(base)]
        while pending:
            folder = pending.pop()
            try:
                with os.scandir(folder) as it:
                    entries = list(it)
            except OSError:
                continue
            for entry in entries:
                try:
                    is_dir = entry.is_dir(follow_symlinks=False)
                except OSError:
                    continue
                if is_dir:
                    if not self._skipped_folder(entry) and not self._ignored(entry.path):
                        pending.append(entry.path)
                elif entry.name.endswith(".py") and not self._ignored(entry.path):
                    found.append(Path(entry.path))
        return sorted(found)

    def _skipped_folder(self, entry: os.DirEntry) -> bool:
        return (entry.name == "__pycache__" or any(fnmatch.fnmatch(entry.name, p) for p in self.norecurse)
                or os.path.isfile(os.path.join(entry.path, "pyvenv.cfg")))

    def _ignored(self, path: str) -> bool:
        """Whether a conftest.py in a folder from the root down to `path`'s tells pytest not to collect it."""
        folder = os.path.dirname(path)
        chain = []
        while True:
            chain.append(folder)
            if folder == str(self.root) or not safeio.is_inside(folder, str(self.root)):
                break
            folder = os.path.dirname(folder)
        for conftest_dir in chain:
            paths, globs = self._ignores_of(conftest_dir)
            if any(os.path.normpath(os.path.join(conftest_dir, p)) == path for p in paths):
                return True
            if any(fnmatch.fnmatch(path, os.path.join(conftest_dir, g)) for g in globs):
                return True
        return False

    def _ignores_of(self, folder: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        if folder not in self._ignores:
            self._ignores[folder] = _collect_ignore(Path(folder) / "conftest.py", self.root)
        return self._ignores[folder]


def _collect_ignore(conftest: Path, root: Path) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The string literals a conftest.py assigns to `collect_ignore` and `collect_ignore_glob`."""
    if not conftest.is_file():
        return (), ()
    try:
        text = safeio.read_text(conftest, within=safeio.project(root), cap=MAX_SOURCE_BYTES)
        tree = safeio.parse_python(text, shown=str(conftest))
    except (SyntaxError, *safeio.READ_ERRORS):
        return (), ()
    found: dict[str, list[str]] = {"collect_ignore": [], "collect_ignore_glob": []}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, (ast.List, ast.Tuple)):
            for target in node.targets:
                if isinstance(target, ast.Name) and target.id in found:
                    found[target.id] += [e.value for e in node.value.elts
                                         if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    return tuple(found["collect_ignore"]), tuple(found["collect_ignore_glob"])


def norecursedirs(root: Path) -> tuple[str, ...]:
    """The project's pytest `norecursedirs`, from the configuration file pytest would use; pytest's
    default when none sets it or the file cannot be read."""
    for name, section in _INI_FILES:
        path = root / name
        if not path.is_file():
            continue
        try:
            text = safeio.read_text(path, within=safeio.project(root), cap=CONFIG_CAP)
        except safeio.READ_ERRORS:
            return DEFAULT_NORECURSEDIRS
        found = _from_toml(text) if section is None else _from_ini(text, section, name.endswith("pytest.ini"))
        if found is _NOT_HERE:
            continue
        return found if isinstance(found, tuple) else DEFAULT_NORECURSEDIRS
    return DEFAULT_NORECURSEDIRS


def _from_toml(text: str) -> object:
    """norecursedirs of [tool.pytest.ini_options]; None when unset or unreadable."""
    import tomllib  # here and below: imported only for a project that has such a file

    try:
        table = tomllib.loads(text).get("tool", {}).get("pytest", {}).get("ini_options")
    except (tomllib.TOMLDecodeError, AttributeError, RecursionError):  # RecursionError: nesting too deep to parse
        return None
    if not isinstance(table, dict):
        return _NOT_HERE
    value = table.get("norecursedirs")
    if isinstance(value, str):
        return _split(value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    return None


def _from_ini(text: str, section: str, used_without_section: bool) -> object:
    import configparser

    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error:
        return None
    if not parser.has_section(section):
        return None if used_without_section else _NOT_HERE
    value = parser.get(section, "norecursedirs", fallback=None)
    return _split(value) if value is not None else None


def _split(value: str) -> tuple[str, ...]:
    try:
        return tuple(shlex.split(value))
    except ValueError:
        return tuple(value.split())
