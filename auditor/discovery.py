"""Discovery: what a project holds, found from its root with nothing configured.

One walk of the project tree (symlinked folders are not followed; virtual environments,
build output, caches, hidden folders and the nested foreign projects that live in a test
folder's fixtures or corpus are not entered) sorts what it sees into:

- documents: `requirements*.md`, `.cursorrules` and other agent rule files, `README*`,
  `CONTRIBUTING*` at the root, `docs/**/*.md`;
- training code: every `.py` outside test folders; tests: `test_*.py`, `*_test.py`,
  `conftest.py` and the files of a test folder;
- JUnit XML anywhere, recognised by content (a `<testsuite`), except the XML that a TDD
  record made; TDD artifacts by content (`audit-tdd/1` records, pytest output);
- run directories: folders holding `.pt`, `.pth`, `.ckpt`, `.safetensors` files or
  `checkpoint-N/` folders (with their logs);
- configuration the code reads: Hydra trees, argument files named on documented command
  lines, the YAML/JSON of `conf`/`config`/`configs` folders; handed on, not interpreted;
- entry points: console scripts, `__main__.py` packages, `__main__` blocks, the scripts a
  README, Makefile or shell script runs, and the training loop found by what it does
  (a backward pass and an optimizer step, `fit()`, `train()`, `save_state`, Orbax).

Every file is read through `auditor.safeio`, and only those whose name or place makes them
a candidate: a source for its loop markers, an XML, JSON or text file for its first bytes.
"""

from __future__ import annotations

import bisect
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from auditor import safeio

# folders never entered: not the project's own material
_SKIP_NAMES = {"__pycache__", "node_modules", "site-packages", "build", "dist", "venv", "env", "htmlcov",
               ".git", ".hg", ".svn", ".venv", ".env", ".tox", ".nox", ".eggs", ".mypy_cache", ".pytest_cache",
               ".ruff_cache", ".cache", ".ipynb_checkpoints", ".idea", ".vscode", ".direnv"}
_TEST_DIRS = {"tests", "test"}
# inside a test folder: data, fixtures and whole foreign projects, not the project's tests
_TEST_DATA_DIRS = {"fixtures", "fixture", "corpus", "data", "resources", "assets", "golden", "goldens",
                   "snapshots", "testdata", "test_data"}
_PROJECT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", "audit.yaml")
_CHECKPOINT_SUFFIXES = {".pt", ".pth", ".ckpt", ".safetensors"}
_CHECKPOINT_DIR = re.compile(r"^checkpoint[-_]\d+$")
_CHECKPOINT_FOLDER_NAMES = {"checkpoints", "checkpoint", "ckpt", "ckpts"}
_AGENT_RULES = {".cursorrules", ".windsurfrules", ".clinerules", "AGENTS.md", "CLAUDE.md", "GEMINI.md"}
_DOC_NAME = re.compile(r"^(requirements.*\.md|readme.*|contributing.*)$", re.I)
_CONFIG_DIRS = {"conf", "config", "configs", "configuration"}
_LOG_NAME = re.compile(r"(\.log|\.out|\.err|log\.txt|\.jsonl)$|^(metrics|log|progress)\.csv$", re.I)
SNIFF_BYTES = 4096
MAX_FILES = 50_000  # a walk stops here: a project tree this large is reported, not read whole

# what a training loop does, line by line (cheap: regexes over the text, no parse)
_LOOP_MARKERS = (
    (re.compile(r"\.backward\("), "backward"),
    (re.compile(r"(optimi[sz]er|optim|opt)\w*\.step\(|\bscaler\.step\("), "optimizer step"),
    (re.compile(r"\bapply_gradients\(|\bvalue_and_grad\(|\bjax\.grad\("), "gradient step"),
    (re.compile(r"\btrainer\w*\.fit\(|\bTrainer\([^)]*\)\.fit\("), "fit()"),
    (re.compile(r"\btrainer\w*\.train\("), "train()"),
    (re.compile(r"\bsave_state\("), "save_state"),
    (re.compile(r"\bCheckpointManager\("), "Orbax CheckpointManager"),
)
_DEF = re.compile(r"^(\s*)(?:async\s+)?def\s+(\w+)|^(\s*)class\s+(\w+)")
_MAIN_BLOCK = re.compile(r"^if\s+__name__\s*==\s*['\"]__main__['\"]\s*:", re.M)
_COMMAND = re.compile(
    r"(?:^|[\s`$(;&|])(?:python(?:3(?:\.\d+)?)?|uv run|poetry run python|accelerate launch|torchrun|deepspeed|"
    r"python -m torch\.distributed\.(?:run|launch))"
    r"(?:\s+--?(?!m\s)[\w.-]+(?:=[^\s`]+|\s+(?!-)(?![\w./-]*\.py\b)[^\s`]+)?)*\s+"
    r"(?:-m\s+([A-Za-z_][\w.]*)|([\w./-]+\.py))(?=[\s`'\")]|$)", re.M)
_ARG_FILE = re.compile(r"(?:--config(?:[-_]\w+)?|--cfg|--args|--hparams|-c)[= ]([\w./-]+\.(?:ya?ml|json))|"
                       r"\.py\s+([\w./-]+\.(?:ya?ml|json))(?=[\s`]|$)")
_HYDRA = re.compile(r"@hydra\.main\([^)]*config_path\s*=\s*['\"]([^'\"]+)['\"]")


@dataclass(frozen=True)
class EntryPoint:
    """A way training is started: a script, a module (`-m pkg`), `file:function` or `file:Class.method`."""

    kind: str  # script | module | function | method
    target: str  # as a user would write it: "train.py", "-m trainerpkg", "pkg/cli.py:main", "lib/t.py:T.train"
    file: str  # the file that holds it, relative to the root
    function: str  # qualified name inside the file ("" for a script or module)
    why: str  # where it was found, with file:line

    @property
    def config_value(self) -> str:
        """The value of the `entry_point` key that names it."""
        return self.target


@dataclass(frozen=True)
class TrainingLoop:
    """A function (or a module's top level) that trains, found by what it does."""

    file: str
    line: int
    function: str  # qualified name, "<module>" for top-level code
    does: tuple[str, ...]  # which markers were seen


@dataclass(frozen=True)
class RunDirectory:
    path: str  # relative to the root
    checkpoints: int  # checkpoint files and checkpoint-N folders seen
    logs: tuple[str, ...]  # log files in it, or at the root when they name it
    newest: float  # newest mtime of a checkpoint in it


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
    config_files: tuple[str, ...] = ()
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
    py: list[str]
    tests: list[str]
    docs: list[str]
    xml: list[str]
    json: list[str]
    text: list[str]
    yaml: list[str]
    shell: list[str]
    checkpoint_files: dict[str, list[str]]  # folder -> checkpoint files in it
    checkpoint_dirs: dict[str, list[str]]  # folder -> checkpoint-N folders in it
    logs: dict[str, list[str]]  # folder -> log files in it
    not_read: list[str]


def _is_venv(path: str, names: list[str]) -> bool:
    return "pyvenv.cfg" in names or os.path.isfile(os.path.join(path, "bin", "activate"))


def _walk(root: Path) -> _Walk:
    w = _Walk([], [], [], [], [], [], [], [], {}, {}, {}, [])
    seen = 0
    for folder, dirs, files in os.walk(root, followlinks=False):
        rel_folder = os.path.relpath(folder, root)
        rel_folder = "" if rel_folder == "." else rel_folder.replace(os.sep, "/")
        parts = rel_folder.split("/") if rel_folder else []
        in_tests = bool(_TEST_DIRS.intersection(parts))
        hidden = any(p.startswith(".") for p in parts)  # .ci/, .github/: results and docs, not training code
        keep = []
        for d in sorted(dirs):
            rel = f"{rel_folder}/{d}" if rel_folder else d
            full = os.path.join(folder, d)
            if os.path.islink(full):
                continue
            if d in _SKIP_NAMES or d.endswith(".egg-info"):
                continue
            if _CHECKPOINT_DIR.match(d):  # a checkpoint-N folder is one checkpoint: stat'ed, not walked
                w.checkpoint_dirs.setdefault(rel_folder, []).append(rel)
                continue
            entries = _names(full)
            if _is_venv(full, entries):
                w.not_read.append(f"{rel}/ (a virtual environment)")
                continue
            if in_tests and (d in _TEST_DATA_DIRS or any(m in entries for m in _PROJECT_MARKERS)):
                w.not_read.append(f"{rel}/ (test data or a nested project, not this project's own)")
                continue
            keep.append(d)
        dirs[:] = keep
        for name in sorted(files):
            seen += 1
            if seen > MAX_FILES:
                w.not_read.append(f"files after the first {MAX_FILES} (the tree is larger than discovery reads)")
                return w
            rel = f"{rel_folder}/{name}" if rel_folder else name
            if os.path.islink(os.path.join(folder, name)):
                try:
                    safeio.resolve(rel, safeio.project(root))
                except safeio.ReadRefused:
                    w.not_read.append(f"{rel}: links outside the project; not followed")
                    continue
            _sort_file(w, rel, rel_folder, name, parts, in_tests, hidden)
    return w


def _names(path: str) -> list[str]:
    try:
        return os.listdir(path)
    except OSError:
        return []


def _sort_file(w: _Walk, rel: str, folder: str, name: str, parts: list[str], in_tests: bool, hidden: bool) -> None:
    suffix = os.path.splitext(name)[1].lower()
    if suffix == ".py" and hidden:
        return
    if suffix == ".py":
        if in_tests or name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py":
            w.tests.append(rel)
        else:
            w.py.append(rel)
    elif suffix in _CHECKPOINT_SUFFIXES and not (in_tests or hidden):
        w.checkpoint_files.setdefault(folder, []).append(rel)
    elif suffix == ".xml":
        w.xml.append(rel)
    elif suffix == ".json":
        w.json.append(rel)
    elif suffix in (".yaml", ".yml"):
        w.yaml.append(rel)
    elif suffix in (".sh", ".bash") or name in ("Makefile", "makefile", "justfile", "Justfile"):
        w.shell.append(rel)
    if _is_document(rel, name, parts):
        w.docs.append(rel)
    if suffix in (".txt", ".log", ".out") and not in_tests:
        w.text.append(rel)
    if _LOG_NAME.search(name) and not in_tests:
        w.logs.setdefault(folder, []).append(rel)


def _is_document(rel: str, name: str, parts: list[str]) -> bool:
    if not parts:
        return name in _AGENT_RULES or bool(_DOC_NAME.match(name)) and name.lower().endswith((".md", ".rst", ".txt",
                                                                                             "readme"))
    if rel == ".github/copilot-instructions.md":
        return True
    return parts[0] == "docs" and name.lower().endswith(".md")


# --------------------------------------------------------------------------- content sniffing


class _Reader:
    """Reads through auditor.safeio, each file at most once; an unreadable file is one error entry."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.within = safeio.project(root)
        self.errors: list[str] = []
        self._texts: dict[str, str] = {}

    def head(self, rel: str) -> str:
        if rel in self._texts:
            return self._texts[rel][:SNIFF_BYTES]
        try:
            data = safeio.read_bytes(rel, within=self.within, cap=SNIFF_BYTES, shown=rel, truncate=True)
        except FileNotFoundError:
            return ""
        except safeio.READ_ERRORS as exc:
            self.errors.append(safeio.describe(exc, rel))
            return ""
        return data.decode("utf-8", errors="replace")

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


_TDD_JSON = re.compile(r'"format"\s*:\s*"audit-tdd/1"')
_PYTEST_OUTPUT = re.compile(r"=+ test session starts =+|^(?:FAILED|PASSED|ERROR) \S+::|^\S+::\S+ (?:PASSED|FAILED|ERROR)|"
                            r"=+ (?:\d+ (?:failed|passed|errors?)(?:, )?)+.* in [\d.]+s", re.M)
_JUNIT = re.compile(r"<testsuites?[\s>]")


_PHASE_NAME = re.compile(r"(?:^|[-_.])(?:red|green|refactor)(?:[-_.]|$)", re.I)  # the names TDD evidence reads


def _tdd_and_junit(root: Path, w: _Walk, read: "_Reader") -> tuple[list[str], list[str]]:
    """TDD artifacts and JUnit files, each recognised by its first bytes.

    Only files named for a phase can be TDD evidence (the phase is read from the name), so
    only those are opened; an XML whose same-named JSON is a TDD record is that record's
    JUnit, not the project's test results.
    """
    tdd: list[str] = []
    for rel in w.json:
        if _PHASE_NAME.search(Path(rel).stem) and _TDD_JSON.search(read.head(rel)):
            tdd.append(rel)
    for rel in w.text:
        if _PHASE_NAME.search(Path(rel).stem) and _PYTEST_OUTPUT.search(read.head(rel)):
            tdd.append(rel)
    records = {rel[:-5] for rel in tdd if rel.endswith(".json")}
    junit = []
    for rel in w.xml:
        if rel[:-4] in records or not _JUNIT.search(read.head(rel)):
            continue
        # a JUnit file named for a phase (tdd/feature/red.xml) is a TDD record, not the suite's results
        (tdd if _PHASE_NAME.search(Path(rel).stem) else junit).append(rel)
    return sorted(tdd), junit


# --------------------------------------------------------------------------- run directories


def _run_dirs(root: Path, w: _Walk) -> list[RunDirectory]:
    folders = set(w.checkpoint_files) | set(w.checkpoint_dirs)
    runs: dict[str, tuple[int, float]] = {}
    for folder in folders:
        files = w.checkpoint_files.get(folder, []) + w.checkpoint_dirs.get(folder, [])
        run = folder
        name = folder.rsplit("/", 1)[-1]
        if name.lower() in _CHECKPOINT_FOLDER_NAMES and "/" in folder:
            run = folder.rsplit("/", 1)[0]  # runs/x/checkpoints/*.pt: the run is runs/x
        newest = max((_mtime(root / f) for f in files), default=0.0)
        count, old = runs.get(run, (0, 0.0))
        runs[run] = (count + len(files), max(old, newest))
    out = []
    for run, (count, newest) in runs.items():
        logs = [log for folder, items in w.logs.items() if folder == run or folder.startswith(run + "/")
                for log in items] if run else list(w.logs.get("", []))
        if run and not logs:  # a run that keeps no log of its own: the root's (`... | tee -a train.log`)
            logs = list(w.logs.get("", []))
        out.append(RunDirectory(run or ".", count, tuple(sorted(logs)), newest))
    # most checkpoints first, then the newest
    out.sort(key=lambda r: (-r.checkpoints, -r.newest, r.path))
    return out


def _mtime(path: Path) -> float:
    try:
        return os.stat(path, follow_symlinks=False).st_mtime
    except OSError:
        return 0.0


# --------------------------------------------------------------------------- code: loops and entry points


def _enclosing(lines: list[str], index: int) -> str:
    """Qualified name of the function (or class.method) around line `index`, "<module>" at top level.

    A `def` encloses the line only when no line between them is indented as little as it is.
    """
    indent = _indent(lines[index])
    names: list[str] = []
    for i in range(index - 1, -1, -1):
        line = lines[i]
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        own = _indent(line)
        if own >= indent:
            continue
        m = _DEF.match(line)
        if m:
            names.append(m.group(2) or m.group(4))
        elif not line.lstrip().startswith("@") and own == 0:
            break  # top-level code that is not a definition: the line is in the module's own code
        indent = own
        if own == 0:
            break
    return ".".join(reversed(names)) or "<module>"


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


_ANY_MARKER = re.compile("|".join(f"(?:{pattern.pattern})" for pattern, _ in _LOOP_MARKERS))


def _in_string(line: str, column: int) -> bool:
    """Whether `column` of `line` sits inside a quoted string (help texts name save_state() too)."""
    before = line[:column]
    return before.count('"') % 2 == 1 or before.count("'") % 2 == 1


def _loops(rel: str, text: str) -> list[TrainingLoop]:
    by_function: dict[str, tuple[int, list[str]]] = {}
    if not _ANY_MARKER.search(text):
        return []
    lines = text.splitlines()
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)
    for pattern, what in _LOOP_MARKERS:
        for m in pattern.finditer(text):
            i = bisect.bisect_right(starts, m.start()) - 1
            if i >= len(lines) or lines[i].lstrip().startswith("#") or _in_string(lines[i], m.start() - starts[i]):
                continue
            function = _enclosing(lines, i)
            first, does = by_function.setdefault(function, (i + 1, []))
            if i + 1 < first:
                by_function[function] = (i + 1, does)
            if what not in does:
                does.append(what)
    out = []
    for function, (line, does) in by_function.items():
        trains = ("backward" in does and "optimizer step" in does) or any(
            d in does for d in ("gradient step", "fit()", "train()", "save_state", "Orbax CheckpointManager"))
        if trains:
            out.append(TrainingLoop(rel, line, function, tuple(does)))
    return out


def _drivers(texts: dict[str, str], loops: list[TrainingLoop], levels: int = 2) -> list[str]:
    """Short names of the functions that train (`_train`) and of those that call them (`train`)."""
    names = {loop.function.split(".")[-1] for loop in loops if loop.function != "<module>"}
    frontier = set(names)
    for _ in range(levels):
        if not frontier:
            break
        pattern = re.compile(r"\b(?:" + "|".join(sorted(map(re.escape, frontier))) + r")\(")
        found: set[str] = set()
        for text in texts.values():
            if not pattern.search(text):
                continue
            lines = text.splitlines()
            for m in pattern.finditer(text):
                index = text.count("\n", 0, m.start())
                if lines[index].lstrip().startswith(("def ", "async def ", "#")):
                    continue
                caller = _enclosing(lines, index).split(".")[-1]
                if caller != "<module>" and caller not in names:
                    found.add(caller)
        names |= found
        frontier = found
    return sorted(names)


def _module_of(rel: str) -> str:
    """`src/pkg/cli.py` -> `pkg.cli` (a src/ layout's folder is not part of the module name)."""
    parts = rel[:-3].split("/")
    if parts[0] in ("src", "lib") and len(parts) > 1:
        parts = parts[1:]
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _console_scripts(read: _Reader) -> list[tuple[str, str, str]]:
    """(script name, module, function) of pyproject's [project.scripts]."""
    text = read.text("pyproject.toml", cap=safeio.JSON_CAP)
    if not text:
        return []
    try:
        scripts = tomllib.loads(text).get("project", {}).get("scripts", {})
    except tomllib.TOMLDecodeError as exc:
        read.errors.append(f"pyproject.toml: not valid TOML ({exc})")
        return []
    out = []
    for name, spec in scripts.items() if isinstance(scripts, dict) else ():
        module, _, function = str(spec).partition(":")
        out.append((str(name), module.strip(), function.strip().split()[0] if function.strip() else ""))
    return out


def _documented_commands(read: _Reader, files: list[str]) -> list[tuple[str, str, int]]:
    """(script path or '-m module', file, line) of each `python ...` command in docs and scripts."""
    out = []
    for rel in files:
        text = read.text(rel)
        for m in _COMMAND.finditer(text):
            line = text.count("\n", 0, m.end()) + 1  # the match may begin with the previous line's newline
            target = f"-m {m.group(1)}" if m.group(1) else m.group(2)
            out.append((target, rel, line))
    return out


def _entry_points(read: _Reader, w: _Walk, texts: dict[str, str], loops: list[TrainingLoop]) -> list[EntryPoint]:
    modules = {_module_of(rel): rel for rel in w.py}
    loop_files = {loop.file for loop in loops}
    candidates: dict[str, tuple[float, EntryPoint]] = {}

    def offer(entry: EntryPoint, score: float) -> None:
        old = candidates.get(entry.target)
        if old is None or score > old[0]:
            candidates[entry.target] = (score, entry)

    def reaches_loop(rel: str) -> bool:
        if rel in loop_files:
            return True
        text = texts.get(rel, "")
        imported = set(re.findall(r"^\s*(?:from\s+([\w.]+)\s+import|import\s+([\w.]+))", text, re.M))
        names = {a or b for a, b in imported}
        return any(modules.get(n) in loop_files or modules.get(n.rsplit(".", 1)[0]) in loop_files for n in names) \
            or any(modules.get(f"{n}.{sub}") in loop_files for n in names for sub in re.findall(
                rf"^\s*from\s+{re.escape(n)}\s+import\s+([\w, ]+)", text, re.M) for sub in sub.split(", "))

    for name, module, function in _console_scripts(read):
        rel = modules.get(module)
        if rel is not None:
            offer(EntryPoint("function", f"{rel}:{function}", rel, function, f"pyproject.toml [project.scripts] "
                             f"{name}"), 3 + 2 * reaches_loop(rel))
    documented = _documented_commands(read, w.docs + w.shell)
    for target, where, line in documented:
        if target.startswith("-m "):
            module = target[3:]
            rel = modules.get(f"{module}.__main__") or modules.get(module)
            if rel is not None:
                offer(EntryPoint("module", target, rel, "", f"{where}:{line} runs `python {target}`"),
                      4 + 2 * reaches_loop(rel) + reaches_loop(modules.get(module, rel)))
        elif target.lstrip("./") in texts:
            rel = target.lstrip("./")
            offer(EntryPoint("script", rel, rel, "", f"{where}:{line} runs `python {target}`"), 4 + 2 * reaches_loop(rel))
    for rel, text in texts.items():
        if rel.endswith("/__main__.py"):
            package = _module_of(rel).rsplit(".", 1)[0]
            offer(EntryPoint("module", f"-m {package}", rel, "", f"{rel} (a package's __main__)"),
                  2 + 2 * reaches_loop(rel))
        elif (m := _MAIN_BLOCK.search(text)) is not None:
            line = text.count("\n", 0, m.start()) + 1
            offer(EntryPoint("script", rel, rel, "", f"{rel}:{line} has a __main__ block"),
                  1 + 2 * reaches_loop(rel) + ("train" in Path(rel).stem))
    if not candidates:  # a library: its training loop is where training starts
        for loop in loops:
            kind = "method" if "." in loop.function else "function"
            if loop.function != "<module>":
                offer(EntryPoint(kind, f"{loop.file}:{loop.function}", loop.file, loop.function,
                                 f"{loop.file}:{loop.line} trains ({', '.join(loop.does)}); nothing in the project "
                                 "calls it"), 1)
            else:
                offer(EntryPoint("script", loop.file, loop.file, "", f"{loop.file}:{loop.line} trains at its top level"),
                      1)
    ranked = sorted(candidates.values(), key=lambda c: (-c[0], c[1].target))
    return [entry for _, entry in ranked]


def _config_files(read: _Reader, w: _Walk, texts: dict[str, str]) -> list[str]:
    found: set[str] = set()
    for rel, text in texts.items():
        for m in _HYDRA.finditer(text):
            base = os.path.normpath(os.path.join(os.path.dirname(rel), m.group(1))).replace(os.sep, "/")
            found |= {y for y in w.yaml if y.startswith(base.rstrip("/") + "/")}
    for rel in w.docs + w.shell:
        for m in _ARG_FILE.finditer(read.text(rel)):
            named = (m.group(1) or m.group(2)).lstrip("./")
            if named in w.yaml or named in w.json:
                found.add(named)
    for rel in w.yaml + w.json:
        parts = rel.split("/")
        if len(parts) > 1 and parts[0] in _CONFIG_DIRS or len(parts) > 2 and parts[-2] in _CONFIG_DIRS:
            found.add(rel)
    return sorted(found)


# --------------------------------------------------------------------------- the whole


def discover(root: str | Path, *, sniff: bool = True, code: bool = True) -> Discovery:
    """Everything discovery finds under `root`.

    sniff=False: no JUnit / TDD recognition by content; code=False: sources are listed but
    not read (no training loops, no entry points): for keys the configuration already sets.
    """
    base = Path(root).resolve()
    read = _Reader(base)
    w = _walk(base)
    texts = {rel: read.text(rel) for rel in w.py} if code else {}
    loops = [loop for rel, text in texts.items() for loop in _loops(rel, text)]
    drivers = _drivers(texts, loops)
    tdd, junit = _tdd_and_junit(base, w, read) if sniff else ([], [])
    return Discovery(
        root=base,
        documents=tuple(sorted(w.docs, key=_document_rank)),
        sources=tuple(w.py),
        tests=tuple(w.tests),
        entry_points=tuple(_entry_points(read, w, texts, loops)) if code else (),
        commands=tuple(name for name, _, _ in _console_scripts(read)),
        loops=tuple(loops),
        drivers=tuple(drivers),
        config_files=tuple(_config_files(read, w, texts)),
        junit=tuple(junit),
        tdd=tuple(tdd),
        run_dirs=tuple(_run_dirs(base, w)),
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
