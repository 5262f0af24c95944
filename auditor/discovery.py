"""Discovery: what a project holds, found from its root with nothing configured.

One walk of the project tree (symlinked folders are not followed; virtual environments,
build output, caches, hidden folders and the nested foreign projects that live in a test
folder's fixtures or corpus are not entered) sorts what it sees into:

- documents: `requirements*.md`, `.cursorrules` and other agent rule files, `README*`,
  `CONTRIBUTING*` at the root, `docs/**/*.md` and `docs/**/*.rst` (Sphinx);
- training code: every `.py` outside test folders; tests: `test_*.py`, `*_test.py`,
  `conftest.py` and the files of a test folder;
- JUnit XML anywhere, recognised by content (a `<testsuite`), except the XML that a TDD
  record made; TDD artifacts by content (`audit-tdd/1` records, pytest output);
- run directories: folders holding checkpoint files (`.pt`, `.pth`, `.ckpt`, `.safetensors`,
  Keras's `.keras` / `.h5`: auditor.ckptnames) or `checkpoint-N/` / `step_N/` / DCP folders,
  with their logs (auditor.runfinder);
- configuration the code reads: Hydra trees, argument files named on documented command
  lines, the YAML/JSON of `conf`/`config`/`configs` folders; handed on, not interpreted;
- entry points: console scripts, `__main__.py` packages, `__main__` blocks, the scripts a
  README, Makefile or shell script runs, and the training loop found by what it does
  (a backward pass and an optimizer step, `fit()`, `train()`, `save_state`, Orbax).

Every file is read through `auditor.safeio`, and only those whose name or place makes them
a candidate: a source for its loop markers, an XML, JSON or text file for its first bytes.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from auditor import ckptnames, notebooks, rxcache, safeio
from auditor.runfinder import RunDirectory, Seen, is_log_name, run_dirs
from auditor.entrypoints import (EntryPoint, TrainingLoop, config_files, console_scripts, drivers, entry_points,
                                 loops, named_config_files)

# folders never entered: not the project's own material
_SKIP_NAMES = {"__pycache__", "node_modules", "site-packages", "build", "dist", "venv", "env", "htmlcov",
               ".git", ".hg", ".svn", ".venv", ".env", ".tox", ".nox", ".eggs", ".mypy_cache", ".pytest_cache",
               ".ruff_cache", ".cache", ".ipynb_checkpoints", ".idea", ".vscode", ".direnv"}
_TEST_DIRS = {"tests", "test"}
# inside a test folder: data, fixtures and whole foreign projects, not the project's tests
_TEST_DATA_DIRS = {"fixtures", "fixture", "corpus", "data", "resources", "assets", "golden", "goldens",
                   "snapshots", "testdata", "test_data"}
_PROJECT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", "audit.yaml")
# shell scripts and batch-scheduler job scripts (they name the commands that train, and a job's log)
_SCRIPT_SUFFIXES = {".sh", ".bash", ".sbatch", ".slurm", ".pbs", ".qsub", ".job"}
_CHECKPOINT_DIR = rxcache.compile(r"^checkpoint[-_]\d+$")
_AGENT_RULES = {".cursorrules", ".windsurfrules", ".clinerules", "AGENTS.md", "CLAUDE.md", "GEMINI.md"}
_DOC_NAME = rxcache.compile(r"^(requirements.*\.md|readme.*|contributing.*)$", re.I)
SNIFF_BYTES = 4096
MAX_FILES = 50_000  # a walk stops here: a project tree this large is reported, not read whole

@dataclass(frozen=True)
class Discovery:
    """What discovery found under `root`; every path is relative to it."""

    root: Path
    documents: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    tests: tuple[str, ...] = ()
    entry_points: tuple[EntryPoint, ...] = ()
    commands: tuple[str, ...] = ()  # console script names ([project.scripts]) that start the project
    loops: tuple[TrainingLoop, ...] = ()
    drivers: tuple[str, ...] = ()  # names of the functions that train: the loops' and their callers' (two levels)
    driver_files: tuple[str, ...] = ()  # the files that define them
    config_files: tuple[str, ...] = ()
    named_configs: tuple[str, ...] = ()  # those of config_files that documented command lines pass
    junit: tuple[str, ...] = ()
    tdd: tuple[str, ...] = ()
    run_dirs: tuple[RunDirectory, ...] = ()
    not_read: tuple[str, ...] = ()  # what was seen and left out, and why
    errors: tuple[str, ...] = ()  # files that could not be read (one entry each)

    @property
    def entry_point(self) -> EntryPoint | None:
        """The most likely way training is started (entry_points are ranked best first)."""
        return self.entry_points[0] if self.entry_points else None

    @property
    def run_dir(self) -> RunDirectory | None:
        return self.run_dirs[0] if self.run_dirs else None


# --------------------------------------------------------------------------- the walk


@dataclass
class _Walk:
    """The files the walk found, sorted by kind (checkpoints and logs by folder), and what it left unread."""

    py: list[str]
    tests: list[str]
    docs: list[str]
    xml: list[str]
    json: list[str]
    text: list[str]
    settings: list[str]  # YAML and TOML files: candidates for the configuration the code reads
    shell: list[str]
    checkpoint_files: dict[str, list[str]]  # folder -> checkpoint files in it
    checkpoint_dirs: dict[str, list[str]]  # folder -> checkpoint-N folders in it
    logs: dict[str, list[str]]  # folder -> log files in it
    not_read: list[str]


def _is_venv(path: str, names: list[str]) -> bool:
    # no "bin" among the names: no bin/activate to stat
    return "pyvenv.cfg" in names or ("bin" in names and os.path.isfile(os.path.join(path, "bin", "activate")))


def _walk(root: Path) -> _Walk:
    """os.walk(root)'s folders and files in its order (top down, each folder's entries by name),
    listing each folder once: a folder's entries decide whether it is entered (a virtual
    environment, a nested project) and are then walked, and each entry's kind comes with the
    listing (no stat or lstat per file, as os.walk's own is_dir and os.path.islink took)."""
    w = _Walk([], [], [], [], [], [], [], [], {}, {}, {}, [])
    seen = 0
    pending: list[tuple[str, list[os.DirEntry[str]] | None]] = [("", _entries(str(root)))]
    while pending:
        rel_folder, entries = pending.pop()
        if entries is None:
            continue  # unreadable: os.walk passes over it too
        parts = rel_folder.split("/") if rel_folder else []
        in_tests = bool(_TEST_DIRS.intersection(parts))
        hidden = any(p.startswith(".") for p in parts)  # .ci/, .github/: results and docs, not training code
        dirs, files = [], []
        for entry in entries:
            (dirs if _is_dir(entry) else files).append(entry)
        keep: list[tuple[str, list[os.DirEntry[str]] | None]] = []
        for entry in sorted(dirs, key=_name):
            d = entry.name
            rel = f"{rel_folder}/{d}" if rel_folder else d
            if entry.is_symlink() or d in _SKIP_NAMES or d.endswith(".egg-info"):
                continue
            if _CHECKPOINT_DIR.match(d):  # a checkpoint-N folder is one checkpoint: stat'ed, not walked
                w.checkpoint_dirs.setdefault(rel_folder, []).append(rel)
                continue
            inside = _entries(entry.path)
            names = [e.name for e in inside] if inside is not None else []
            if _is_venv(entry.path, names):
                w.not_read.append(f"{rel}/ (a virtual environment)")
                continue
            if in_tests and (d in _TEST_DATA_DIRS or any(m in names for m in _PROJECT_MARKERS)):
                w.not_read.append(f"{rel}/ (test data or a nested project, not this project's own)")
                continue
            keep.append((rel, inside))
        pending += reversed(keep)  # popped first to last: each folder's tree before its next sibling's
        for entry in sorted(files, key=_name):
            seen += 1
            if seen > MAX_FILES:
                w.not_read.append(f"files after the first {MAX_FILES} (the tree is larger than discovery reads)")
                return w
            name = entry.name
            rel = f"{rel_folder}/{name}" if rel_folder else name
            if entry.is_symlink():
                try:
                    safeio.resolve(rel, safeio.project(root))
                except safeio.ReadRefused:
                    w.not_read.append(f"{rel}: links outside the project; not followed")
                    continue
            _sort_file(w, rel, rel_folder, name, parts, in_tests, hidden)
    return w


def _entries(path: str) -> list[os.DirEntry[str]] | None:
    """A folder's entries; None when it cannot be listed."""
    try:
        with os.scandir(path) as listing:
            return list(listing)
    except OSError:
        return None


def _is_dir(entry: os.DirEntry[str]) -> bool:
    """A folder, or a link to one, as os.walk sorts entries (an entry that cannot be stat'ed: a file)."""
    try:
        return entry.is_dir()
    except OSError:
        return False


def _name(entry: os.DirEntry[str]) -> str:
    return entry.name


def _sort_file(w: _Walk, rel: str, folder: str, name: str, parts: list[str], in_tests: bool, hidden: bool) -> None:
    suffix = os.path.splitext(name)[1].lower()
    if suffix in (".py", ".ipynb") and hidden:
        return
    if suffix == ".ipynb":  # a notebook's code cells are training code (auditor.notebooks)
        if not in_tests:
            w.py.append(rel)
    elif suffix == ".py":
        if in_tests or name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py":
            w.tests.append(rel)
        else:
            w.py.append(rel)
    elif _is_checkpoint(name, folder) and not (in_tests or hidden):
        w.checkpoint_files.setdefault(folder, []).append(rel)
    elif suffix == ".xml":
        w.xml.append(rel)
    elif suffix == ".json":
        w.json.append(rel)
    elif suffix in (".yaml", ".yml") or (suffix == ".toml" and name != "pyproject.toml"):
        w.settings.append(rel)
    elif suffix in _SCRIPT_SUFFIXES or name in ("Makefile", "makefile", "justfile", "Justfile"):
        w.shell.append(rel)
    if _is_document(rel, name, parts):
        w.docs.append(rel)
    if suffix in (".txt", ".log", ".out") and not in_tests:
        w.text.append(rel)
    if is_log_name(name) and not in_tests:
        w.logs.setdefault(folder, []).append(rel)


def _is_checkpoint(name: str, folder: str) -> bool:
    return ckptnames.is_checkpoint_file(name, folder.rsplit("/", 1)[-1]) or ckptnames.is_shard(name)


def _is_document(rel: str, name: str, parts: list[str]) -> bool:
    if not parts:
        return name in _AGENT_RULES or bool(_DOC_NAME.match(name)) and name.lower().endswith((".md", ".rst", ".txt",
                                                                                             "readme"))
    if rel == ".github/copilot-instructions.md":
        return True
    return parts[0] == "docs" and name.lower().endswith((".md", ".rst"))


# --------------------------------------------------------------------------- content sniffing


class _Reader:
    """Reads through auditor.safeio, each file at most once; an unreadable file is one error entry."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.within = safeio.project(root)
        self.errors: list[str] = []
        self._texts: dict[str, str] = {}

    def head(self, rel: str, size: int = SNIFF_BYTES) -> str:
        if rel in self._texts:
            return self._texts[rel][:size]
        try:
            data = safeio.read_bytes(rel, within=self.within, cap=size, shown=rel, truncate=True)
        except FileNotFoundError:
            return ""
        except safeio.READ_ERRORS as exc:
            self.errors.append(safeio.describe(exc, rel))
            return ""
        return data.decode("utf-8", errors="replace")

    def source(self, rel: str) -> str:
        """A module's text; a notebook's code cells, on the notebook's own lines ("" when refused)."""
        if not rel.endswith(".ipynb"):
            return self.text(rel)
        text = self.text(rel, cap=notebooks.NOTEBOOK_CAP)
        if not text:
            return text
        try:
            return notebooks.code_text(text, rel)
        except notebooks.NotebookError as exc:
            self.errors.append(safeio.describe(exc, rel))
            return ""

    def text(self, rel: str, cap: int = safeio.TEXT_CAP) -> str:
        if rel not in self._texts:
            try:
                self._texts[rel] = safeio.read_text(rel, within=self.within, cap=cap, shown=rel)
            except FileNotFoundError:
                self._texts[rel] = ""
            except safeio.READ_ERRORS as exc:
                self.errors.append(safeio.describe(exc, rel))
                self._texts[rel] = ""
        return self._texts[rel]


_TDD_JSON = rxcache.compile(r'"format"\s*:\s*"audit-tdd/1"')
_PYTEST_OUTPUT = rxcache.compile(r"=+ test session starts =+|^(?:FAILED|PASSED|ERROR) \S+::|^\S+::\S+ (?:PASSED|FAILED|ERROR)|"
                            r"=+ (?:\d+ (?:failed|passed|errors?)(?:, )?)+.* in [\d.]+s|"
                            # `pytest -q`: the bare summary line, alone on its line
                            r"^(?:\d+ (?:failed|passed|errors?|skipped|xfailed|xpassed|deselected|warnings?)(?:, )?)+"
                            r" in [\d.]+s\s*$|"
                            r"^Ran \d+ tests? in [\d.]+s\s*$", re.M)  # unittest's summary
_JUNIT = rxcache.compile(r"<testsuites?[\s>]")


_PHASE_NAME = rxcache.compile(r"(?:^|[-_.])(?:red|green|refactor)(?:[-_.]|$)", re.I)  # the names TDD evidence reads
# a TDD journal's section header: a line naming a phase, set off by markup or dated
# (`=== red | keep-last | 2026-12-02 18:19:50 UTC | pytest ...`, `## Green`, `2026-12-02 18:20 refactor`)
JOURNAL_HEADER = rxcache.compile(r"^(?:[=#*\[-]+[^\n]{0,60}?\b(red|green|refactor)\b"
                            r"|\d{4}-\d\d-\d\d[T ][\d:.]+\S*[\s|\]:-]+(red|green|refactor)\b"
                            r"|(red|green|refactor)\b[^\n]*\d{4}-\d\d-\d\d)", re.I | re.M)


def journal_phase(line: str) -> str | None:
    """The phase a journal's section header names, None when `line` is not one."""
    m = JOURNAL_HEADER.match(line)
    return next(g for g in m.groups() if g).lower() if m else None


def _tdd_and_junit(root: Path, w: _Walk, read: "_Reader") -> tuple[list[str], list[str]]:
    """TDD artifacts and JUnit files, each recognised by its first bytes.

    A JSON or XML file is TDD evidence only when named for a phase (the phase is read from the
    name), so only those are opened; pytest output is, too, or when it is a journal: sections
    under headers that name the phases. An XML whose same-named JSON is a TDD record is that
    record's JUnit, not the project's test results.
    """
    tdd: list[str] = []
    for rel in w.json:
        if _PHASE_NAME.search(Path(rel).stem) and _TDD_JSON.search(read.head(rel)):
            tdd.append(rel)
    for rel in w.text:
        head = read.head(rel)
        if _PYTEST_OUTPUT.search(head) and (_PHASE_NAME.search(Path(rel).stem) or JOURNAL_HEADER.search(head)):
            tdd.append(rel)
    records = {rel[:-5] for rel in tdd if rel.endswith(".json")}
    junit = []
    for rel in w.xml:
        if rel[:-4] in records or not _JUNIT.search(read.head(rel)):
            continue
        # a JUnit file named for a phase (tdd/feature/red.xml) is a TDD record, not the suite's results
        (tdd if _PHASE_NAME.search(Path(rel).stem) else junit).append(rel)
    return sorted(tdd), junit


# --------------------------------------------------------------------------- the whole


def discover(root: str | Path, *, sniff: bool = True, code: bool = True) -> Discovery:
    """Everything discovery finds under `root`.

    sniff=False: no JUnit / TDD recognition by content; code=False: sources are listed but
    not read (no training loops, no entry points): for keys the configuration already sets.
    """
    base = Path(root).resolve()
    read = _Reader(base)
    w = _walk(base)
    texts = {rel: read.source(rel) for rel in w.py} if code else {}
    found_loops = [loop for rel, text in texts.items() for loop in loops(rel, text)]
    driven = drivers(texts, found_loops)
    tdd, junit = _tdd_and_junit(base, w, read) if sniff else ([], [])
    named = named_config_files(read, w.settings + w.json, w.docs + w.shell)
    return Discovery(
        root=base,
        documents=tuple(sorted(w.docs, key=_document_rank)),
        sources=tuple(w.py),
        tests=tuple(w.tests),
        entry_points=tuple(entry_points(read, w.py, w.docs + w.shell, texts, found_loops)) if code else (),
        commands=tuple(name for name, _, _ in console_scripts(read)),
        loops=tuple(found_loops),
        drivers=tuple(sorted({name for name, _ in driven})),
        driver_files=tuple(sorted({rel for _, rel in driven})),
        config_files=tuple(config_files(named, w.settings + w.json, texts)),
        named_configs=tuple(named),
        junit=tuple(junit),
        tdd=tuple(tdd),
        run_dirs=tuple(run_dirs(base, Seen(w.checkpoint_files, w.checkpoint_dirs, w.logs, w.shell), read)),
        not_read=tuple(w.not_read),
        errors=tuple(read.errors),
    )


def _document_rank(rel: str) -> tuple[int, str]:
    """Requirement documents and agent rules first, then READMEs, contributing guides, docs/."""
    name = rel.rsplit("/", 1)[-1].lower()
    if name.startswith("requirements") or rel in _AGENT_RULES or rel.startswith(".github/"):
        return 0, rel
    if name.startswith("readme"):
        return 1, rel
    if name.startswith("contributing"):
        return 2, rel
    return 3, rel


__all__ = ["Discovery", "EntryPoint", "RunDirectory", "TrainingLoop", "discover"]
