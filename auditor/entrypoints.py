"""Entry points and training loops, read from source text (cheap: regexes, no parse).

A training loop is found by what it does (a backward pass and an optimizer step, a JAX
gradient step, `trainer.fit()` / `trainer.train()`, `save_state`, an Orbax manager), and the
functions that call it drive training too. Entry points come from the project's own words:
console scripts, the commands its README, Makefile and shell scripts run, `__main__`
packages and blocks; a library whose trainer nothing calls starts at the loop itself.
Files are read through the caller's reader (auditor.discovery, through auditor.safeio).
"""

from __future__ import annotations

import bisect
import functools
import os
import re
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Callable, Protocol

from auditor import rxcache, safeio

_CONFIG_DIRS = {"conf", "config", "configs", "configuration"}
# what a training loop does, line by line (cheap: regexes over the text, no parse); each with the
# literal text it cannot match without, so that most files are passed over by a substring test
_LOOP_MARKERS = (
    (rxcache.compile(r"\.backward\("), "backward", (".backward(",)),
    # an optimizer, a loss scaler, or an engine that wraps the optimizer (DeepSpeed's `model_engine.step()`)
    (rxcache.compile(r"(?:optimi[sz]er|optim|opt|scaler|engine)\w*\.step\("), "optimizer step", (".step(",)),
    (rxcache.compile(r"\bapply_gradients\(|\bvalue_and_grad\(|\bjax\.grad\("), "gradient step",
     ("apply_gradients(", "value_and_grad(", "jax.grad(")),
    # a trainer's fit(), and a learner's (fastai: `learn.fit_one_cycle(...)`, `learn.fine_tune(...)`)
    (rxcache.compile(r"\btrainer\w*\.fit\(|\bTrainer\([^)\n]*\)\.fit\(|\blearn(?:er)?\w*\.(?:fit\w*|fine_tune)\("),
     "fit()", (".fit(", ".fit_", ".fine_tune(")),
    (rxcache.compile(r"\btrainer\w*\.train\("), "train()", (".train(",)),
    (rxcache.compile(r"\bsave_state\("), "save_state", ("save_state(",)),
    # scikit-learn's incremental learners: one `partial_fit` per chunk of a stream
    (rxcache.compile(r"\.partial_fit\("), "partial_fit()", (".partial_fit(",)),
    (rxcache.compile(r"\bCheckpointManager\("), "Orbax CheckpointManager", ("CheckpointManager(",)),
)
_DEF = rxcache.compile(r"^(\s*)(?:async\s+)?def\s+(\w+)|^(\s*)class\s+(\w+)")
_MAIN_BLOCK = rxcache.compile(r"^if\s+__name__\s*==\s*['\"]__main__['\"]\s*:", re.M)
_COMMAND = rxcache.compile(
    r"(?:^|[\s`$(;&|])(?:python(?:3(?:\.\d+)?)?|uv run|poetry run python|accelerate launch|torchrun|deepspeed|"
    r"python -m torch\.distributed\.(?:run|launch)|"
    r"\"?\$\{?(?:PYTHON|PY|python)\w*(?::-[^}\s]*)?\}?\"?)"  # the interpreter a launch script keeps: "$PYTHON"
    r"(?:\s+--?(?!m\s)[\w.-]+(?:=[^\s`]+|\s+(?!-)(?![\w./-]*\.py\b)[^\s`]+)?)*\s+"
    r"(?:-m\s+([A-Za-z_][\w.]*)|([\w./-]+\.py))(?=[\s`'\")]|$)", re.M)
_ARG_FILE = rxcache.compile(r"(?:--config(?:[-_]\w+)?|--cfg|--args|--hparams|-c)[= ]([\w./-]+\.(?:ya?ml|json|toml))|"
                       r"\.py\s+([\w./-]+\.(?:ya?ml|json|toml))(?=[\s`]|$)")
_HYDRA = rxcache.compile(r"@hydra\.main\([^)]*config_path\s*=\s*['\"]([^'\"]+)['\"]")


@dataclass(frozen=True)
class EntryPoint:
    """A way training is started: a script, a module (`-m pkg`), `file:function` or `file:Class.method`."""

    kind: str  # script | module | function | method
    target: str  # as a user would write it: "train.py", "-m trainerpkg", "pkg/cli.py:main", "lib/t.py:T.train"
    file: str  # the file that holds it, relative to the root
    function: str  # qualified name inside the file ("" for a script or module)
    why: str  # where it was found, with file:line
    launchers: tuple[str, ...] = ()  # the shell scripts that run it (`scripts/train.sh`: "$PYTHON" -m pkg.train)
    trains: bool = False  # its file is a training loop's or imports one, within three imports

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
    repeats: bool = True  # a marker sits in a loop of the function; False: one step (`_run_batch`), its caller loops




class Reader(Protocol):
    """How files are read here: through auditor.safeio, one error entry per unreadable file."""

    errors: list[str]

    def text(self, rel: str, cap: int = ...) -> str: ...


def _enclosing(lines: list[str], index: int) -> str:
    """Qualified name of the function (or class.method) around line `index`, "<module>" at top level.

    A `def` encloses the line only when no line between them is indented as little as it is.
    """
    indent = _indent(lines[index])
    names: list[str] = []
    for i in range(index - 1, -1, -1):
        line = lines[i]
        if not line.strip() or line.lstrip().startswith(("#", ")", "]", "}")):
            continue  # a comment, or the closing bracket of a signature or a call that spans lines
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


def _in_string(line: str, column: int) -> bool:
    """Whether `column` of `line` sits inside a quoted string (help texts name save_state() too)."""
    before = line[:column]
    return before.count('"') % 2 == 1 or before.count("'") % 2 == 1


def loops(rel: str, text: str) -> list[TrainingLoop]:
    """The functions of one source (and its top level) that train, by the markers of what they do."""
    by_function: dict[str, tuple[int, list[str]]] = {}
    looped: set[str] = set()  # functions with a marker inside a for/while of their own
    markers = [(pattern, what) for pattern, what, literals in _LOOP_MARKERS if any(x in text for x in literals)]
    if not markers:
        return []
    lines = text.splitlines()
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)
    for pattern, what in markers:
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
            if _in_loop(lines, i):
                looped.add(function)
    out = []
    for function, (line, does) in by_function.items():
        trains = ("backward" in does and "optimizer step" in does) or any(
            d in does for d in ("gradient step", "fit()", "train()", "save_state", "Orbax CheckpointManager",
                                "partial_fit()"))
        if trains:
            stepwise = "backward" in does and not any(d in does for d in ("fit()", "train()", "save_state"))
            out.append(TrainingLoop(rel, line, function, tuple(does), function in looped or not stepwise))
    return out


def _in_loop(lines: list[str], index: int) -> bool:
    """Whether line `index` lies in a `for`/`while` block of its own function (or top level)."""
    current = _indent(lines[index])
    for j in range(index - 1, -1, -1):
        text = lines[j].strip()
        if not text or text.startswith("#") or _indent(lines[j]) >= current:
            continue
        if text.startswith(("for ", "while ", "async for ")):
            return True
        if text.startswith(("def ", "async def ", "class ")):
            return False
        current = _indent(lines[j])
        if current == 0:
            return False
    return False


def drivers(texts: dict[str, str], loops: list[TrainingLoop], levels: int = 2) -> list[tuple[str, str]]:
    """(short name, file) of the functions that train (`_train`) and of those that call them (`train`)."""
    sites = {(loop.function.split(".")[-1], loop.file) for loop in loops if loop.function != "<module>"}
    names = {name for name, _ in sites}
    frontier = set(names)
    for _ in range(levels):
        if not frontier:
            break
        # built from this project's names: compiled as usual, not kept by auditor.rxcache
        pattern = re.compile(r"\b(?:" + "|".join(sorted(map(re.escape, frontier))) + r")\(")
        found: set[str] = set()
        for rel, text in texts.items():
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
                    sites.add((caller, rel))
        names |= found
        frontier = found
    return sorted(sites)


def module_names(rel: str) -> set[str]:
    """The names a module file can be imported by: `pkg.sub.mod` itself, its packages (which may
    re-export what it defines: `from pkg import train`) and its tails (`from mod import f` with the
    folder on sys.path, as a test of a script does), for a src/ layout with and without `src.`."""
    names: set[str] = set()
    for parts in (module_of(rel).split("."), rel.rsplit(".", 1)[0].split("/")):  # `src.train` too where src/ is a package
        names |= {".".join(parts[:i]) for i in range(1, len(parts) + 1)} | {".".join(parts[i:]) for i in range(len(parts))}
    return names


def module_of(rel: str) -> str:
    """`src/pkg/cli.py` -> `pkg.cli` (a src/ layout's folder is not part of the module name)."""
    parts = rel.rsplit(".", 1)[0].split("/")
    if parts[0] in ("src", "lib") and len(parts) > 1:
        parts = parts[1:]
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def console_scripts(read: Reader) -> list[tuple[str, str, str]]:
    """(script name, module, function) of pyproject's [project.scripts]."""
    text = read.text("pyproject.toml", cap=safeio.JSON_CAP)
    if not text:
        return []
    import tomllib  # here: only a project with a pyproject.toml needs it

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


def _documented_commands(read: Reader, files: list[str]) -> list[tuple[str, str, int]]:
    """(script path or '-m module', file, line) of each `python ...` command in docs and scripts."""
    out = []
    for rel in files:
        text = read.text(rel)
        for m in _COMMAND.finditer(text):
            line = text.count("\n", 0, m.end()) + 1  # the match may begin with the previous line's newline
            target = f"-m {m.group(1)}" if m.group(1) else m.group(2)
            out.append((target, rel, line))
    return out


def entry_points(read: Reader, sources: list[str], documented: list[str], texts: dict[str, str],
                 found_loops: list[TrainingLoop]) -> list[EntryPoint]:
    """Ways training is started, the likeliest first: documented commands and console scripts that
    reach a training loop, __main__ packages and blocks, else the training loop itself."""
    modules = {module_of(rel): rel for rel in sources}
    loop_files = {loop.file for loop in found_loops}
    candidates: dict[str, tuple[float, EntryPoint]] = {}
    imports = _project_imports(texts, modules)

    def offer(entry: EntryPoint, score: float) -> None:
        # reaching a loop through a longer chain of imports (__main__ -> cli -> trainer) ranks an entry
        # above one that reaches none, below one that reaches it directly
        trains = _reaches(entry.file, imports, loop_files)
        entry, score = replace(entry, trains=trains), score + 0.75 * trains
        old = candidates.get(entry.target)
        if old is None or score > old[0]:
            candidates[entry.target] = (score, entry)

    def reaches_loop(rel: str) -> bool:  # directly: the file trains or imports a file that does
        return _reaches(rel, imports, loop_files, levels=1)

    for name, module, function in console_scripts(read):
        rel = modules.get(module)
        if rel is not None:
            offer(EntryPoint("function", f"{rel}:{function}", rel, function, f"pyproject.toml [project.scripts] "
                             f"{name}"), 3 + 2 * reaches_loop(rel))
    documented = _documented_commands(read, documented)
    for target, where, line in documented:
        if target.startswith("-m "):
            module = target[3:]
            rel = modules.get(f"{module}.__main__") or modules.get(module)
            if rel is not None:
                offer(EntryPoint("module", target, rel, "", f"{where}:{line} runs `python {target}`"),
                      4 + 2 * reaches_loop(rel) + reaches_loop(modules.get(module, rel)))
        elif target.lstrip("./") in texts:
            rel = target.lstrip("./")
            # between documented scripts that reach no loop found, the one named for training
            offer(EntryPoint("script", rel, rel, "", f"{where}:{line} runs `python {target}`"),
                  4 + 2 * reaches_loop(rel) + 0.5 * ("train" in Path(rel).stem))
    for rel, text in texts.items():
        if rel.endswith(".ipynb") and rel in loop_files:  # run cell by cell: its top level trains
            offer(EntryPoint("script", rel, rel, "", f"{rel} (a notebook) trains in its cells"), 3)
        elif rel.endswith("/__main__.py"):
            package = module_of(rel).rsplit(".", 1)[0]
            offer(EntryPoint("module", f"-m {package}", rel, "", f"{rel} (a package's __main__)"),
                  2 + 2 * reaches_loop(rel))
        elif (m := _MAIN_BLOCK.search(text)) is not None:
            line = text.count("\n", 0, m.start()) + 1
            offer(EntryPoint("script", rel, rel, "", f"{rel}:{line} has a __main__ block"),
                  1 + 2 * reaches_loop(rel) + ("train" in Path(rel).stem))
    if not candidates:  # a library: its training loop is where training starts
        for loop in found_loops:
            kind = "method" if "." in loop.function else "function"
            if loop.function != "<module>":
                offer(EntryPoint(kind, f"{loop.file}:{loop.function}", loop.file, loop.function,
                                 f"{loop.file}:{loop.line} trains ({', '.join(loop.does)}); nothing in the project "
                                 "calls it"), 1)
            else:
                offer(EntryPoint("script", loop.file, loop.file, "", f"{loop.file}:{loop.line} trains at its top level"),
                      1)
    launchers: dict[str, set[str]] = {}
    for target, where, _line in documented:
        if where.endswith((".sh", ".bash")):
            launchers.setdefault(target if target.startswith("-m ") else target.lstrip("./"), set()).add(where)
    ranked = sorted(candidates.values(), key=lambda c: (-c[0], c[1].target))
    return [replace(entry, launchers=tuple(sorted(launchers.get(entry.target, ())))) for _, entry in ranked]


_IMPORT = rxcache.compile(r"^[ \t]*(?:from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]+\(?([\w, \t]+)|import[ \t]+([\w., \t]+))",
                          re.M)


def imported_names(rel: str, text: str) -> set[str]:
    """The module names the source `rel` imports, relative imports made absolute; `from pkg import a`
    names `pkg` and `pkg.a` (a may be a module)."""
    folder = PurePosixPath(rel).parent.parts
    out: set[str] = set()
    for source, names, plain in _IMPORT.findall(text):
        if plain:
            out |= {n.split(" as ")[0].strip() for n in plain.split(",")}
            continue
        level = len(source) - len(source.lstrip("."))
        base = source[level:]
        if level:
            package = list(folder[:len(folder) - (level - 1)] if level > 1 else folder)
            base = ".".join(package + ([base] if base else []))
        out.add(base)
        out |= {f"{base}.{n.split(' as ')[0].strip()}".lstrip(".") for n in names.split(",") if n.strip()}
    return {n for n in out if n}


def _project_imports(texts: dict[str, str], modules: dict[str, str]) -> Callable[[str], frozenset[str]]:
    """rel -> the project files it imports (`import pkg.mod`, `from pkg.mod import f`, `from pkg import
    mod`), each file's imports read once however many entries ask."""
    @functools.lru_cache(maxsize=None)
    def imports(rel: str) -> frozenset[str]:
        names = imported_names(rel, texts.get(rel, ""))
        found = {modules.get(n) for n in names} | {modules.get(n.rsplit(".", 1)[0]) for n in names}
        return frozenset(f for f in found if f)
    return imports


def _reaches(rel: str, imports: Callable[[str], frozenset[str]], loop_files: set[str], levels: int = 3) -> bool:
    """Whether `rel` is a training loop's file or imports one within `levels` imports (a package's
    __main__ that calls its cli, which calls its trainer)."""
    seen, frontier = {rel}, {rel}
    for _ in range(levels + 1):
        if frontier & loop_files:
            return True
        frontier = {f for r in frontier for f in imports(r)} - seen
        seen |= frontier
    return False


def config_files(named: list[str], data_files: list[str], texts: dict[str, str]) -> list[str]:
    """Configuration the code reads: Hydra trees, the argument files documented command lines name
    (`named`, named_config_files'), the YAML/JSON/TOML of conf/config/configs folders (handed on,
    not interpreted)."""
    found: set[str] = set(named)
    for rel, text in texts.items():
        for m in _HYDRA.finditer(text):
            base = os.path.normpath(os.path.join(os.path.dirname(rel), m.group(1))).replace(os.sep, "/")
            found |= {y for y in data_files if y.startswith(base.rstrip("/") + "/") and y.endswith((".yaml", ".yml"))}
    for rel in data_files:
        parts = rel.split("/")
        if len(parts) > 1 and parts[0] in _CONFIG_DIRS or len(parts) > 2 and parts[-2] in _CONFIG_DIRS:
            found.add(rel)
    return sorted(found)




def named_config_files(read: Reader, data_files: list[str], documented: list[str]) -> list[str]:
    """The configuration files documented command lines pass (`--config configs/fit.yaml`, `train.py cfg.yaml`)."""
    found: set[str] = set()
    known = set(data_files)  # a project's data files may be thousands (one JSON per TDD record)
    for rel in documented:
        for m in _ARG_FILE.finditer(read.text(rel)):
            named = (m.group(1) or m.group(2)).lstrip("./")
            if named in known:
                found.add(named)
    return sorted(found)


__all__ = ["EntryPoint", "TrainingLoop", "config_files", "named_config_files", "console_scripts", "drivers", "entry_points", "loops",
           "imported_names", "module_names", "module_of"]
