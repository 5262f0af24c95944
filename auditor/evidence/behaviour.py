"""What a test does, read from its AST: whether it drives training, and what it asserts on.

A test **drives training** when it, or a helper or fixture it uses (a few levels down),
calls the training entry function or a function that trains (found by discovery), runs
`python script.py`, `python -m pkg` or the project's console script in a subprocess,
invokes the CLI's train command, or calls `fit()` / `train()` on a trainer.

A test **asserts on an effect** when an assertion (`assert`, `self.assert*`, `pytest.raises`,
`with self.assertLogs(...)`) reads it: the asserted expressions, the assignments of the
names they use (within the test) and the helpers they call are searched for the effect's
marks: checkpoint files, the progress file, per-step log lines, heartbeat records, a resumed
step. Which effect counts for which requirement is the probe's business.
"""

from __future__ import annotations

import ast
import functools
import re
import sys
from dataclasses import dataclass
from typing import Callable, Protocol

from auditor import rxcache
from auditor.evidence.code.syntax import code_only, code_only_pieces, dotted as _dotted, walk

SUBPROCESS = {"subprocess.run", "subprocess.Popen", "subprocess.call", "subprocess.check_call",
              "subprocess.check_output", "os.system", "os.execv", "os.execvp", "asyncio.create_subprocess_exec",
              "pexpect.spawn"}
ASSERT_CALLS = ("pytest.raises", "pytest.warns", "pytest.fail")
HELPER_DEPTH = 3  # test -> helper -> helper -> helper
_SCRIPT_MAINS = {"main", "run", "cli"}  # what a script's __main__ block calls, by convention
_GENERIC_METHODS = {"train", "fit", "run", "main", "step", "__call__"}  # model.train() is not training
_LINE_END = rxcache.compile(r"(\r\n|\r|\n)")
_UPPER_CASE = rxcache.compile(r"(?<!\\)[A-Z]")  # a letter of a pattern's text, not an escape's

# effect -> what an asserted expression shows when it looks at that effect
CHECKPOINTS, PROGRESS, STEP_LOG, HEARTBEAT, RESUMED = "checkpoints", "progress", "step_log", "heartbeat", "resumed"
EFFECTS = (CHECKPOINTS, PROGRESS, STEP_LOG, HEARTBEAT, RESUMED)
_CHECKPOINT_MARK = rxcache.compile(r"ckpt|checkpoint|\.pth?\b|\.ckpt\b|safetensors|saved?_|step_\d|saves?\b|snapshot|"
                              r"persist|state_?files?|list_states", re.I)
# not trainer_state.json; a status record's key read back (`metrics["status"]`), not a status code
_PROGRESS_MARK = rxcache.compile(r"progress|(?<![\w])(?:status|state)\.(?:json|txt|ya?ml)|\[\s*[\"']status[\"']\s*\]", re.I)
# (MLflow's file store keeps a metric's values, a line each, in mlruns/<experiment>/<run>/metrics/<key>)
_LOG_SOURCE = rxcache.compile(r"\.log\b|log\.txt|stdout|stderr|capsys|capfd|caplog|assertlogs|log_lines|\blogs?\b|"
                         r"metrics\.csv|\.jsonl\b|\bmlruns\b", re.I)
# a training loss or a step-numbered line; an evaluation loss (eval_loss, val loss) is not per step.
# A training progress line with a batch counter is one too, written out or as its format
# (timm's `Train: 3 [  40/100 ( 40%)]`, PyTorch's `Train Epoch: {} [{}/{}`); an evaluation
# counter (`Test: [ 4/10]`) or an epoch counter (`Epoch [3/3]`) is not. So is the start of a
# step-numbered line that lines or a logger's records are picked by (`startswith("step ")`,
# "iter=", "Step: "), a string that is the step word and its separator alone (not the key "step")
_PER_STEP = rxcache.gated(r"(?<!eval_)(?<!eval )(?<!val_)(?<!val )(?<!valid_)(?<!test_)\b(?:train(?:ing)?_)?loss|"
                       r"(step|iter|batch|chunk)\w*\W{0,3}(\(\\d|\\d|\{)|"
                       r"\btrain(?: epoch)?\W{0,3}(?:\d+|\{[^{}\n]{0,40}\}) *\[ *(?:\d+|\{)|"
                       r"\"(?:global[_ ]?)?(?:step|iter|iteration|batch)[ =:]+\"|"
                       r"'(?:global[_ ]?)?(?:step|iter|iteration|batch)[ =:]+'", re.I)
# the records of a JSON-lines log read by their step (`r["step"]`, `rec.get("iteration")`): per-step records
# (not a heartbeat's or a status file's JSON lines: they carry a step too)
_JSON_LOG = rxcache.compile(r"(?<![\w-])(?!heart_?beat|alive|liveness|status|progress)[\w-]+\.jsonl\b", re.I)
_STEP_KEY = rxcache.compile(r"\[\s*[\"'](?:global_?)?(?:step|iter|iteration)[\"']\s*\]|"
                            r"\.get\(\s*[\"'](?:global_?)?(?:step|iter|iteration)[\"']", re.I)
# a setting's name (`heartbeat_every=20` handed to training) sets the heartbeat, it does not read one;
# the beats themselves (`last_beat`, `five_beats_at_one_step`) are read
_HEARTBEAT_MARK = rxcache.compile(r"heart_?beat(?!\w*[ \t]*=(?!=))|liveness|\balive\b|(?<![a-z])(?<!heart_)beats?(?![a-z])", re.I)
_RESUME_MARK = rxcache.compile(r"resum|restor|continu|restart", re.I)
# `--load-from`, `--resume_path`; not `--loader-delay` (an option that only starts with the word)
_RESUME_OPTION = rxcache.gated(r"--(?:resume|continue|from|init[-_]from|restore|load)(?![a-z])[\w-]*|"
                            r"[\[(,]\s*[\"'](?:resume|continue|restore)[\"']|"  # a CLI's sub-command: ["resume", cfg]
                            r"[(,]\s*(?:resume|continue|restore)\w*\s*=(?!=)|\bresume_from\w*|\binit_from\b|"
                            r"\bckpt_path\b", re.I)


@dataclass(frozen=True)
class Targets:
    """What counts as starting training in this project."""

    functions: frozenset[str]  # short names of the entry function and the functions that train
    scripts: frozenset[str]  # script paths and file names: "train.py", "src/run.py"
    modules: frozenset[str]  # `python -m` module names
    commands: frozenset[str]  # console scripts
    package: str = ""  # a CLI package whose "train" command trains (`magvit train`)
    # the module names the training functions can be imported by (auditor.entrypoints.module_names);
    # empty when unknown: then any module's function of such a name counts
    function_modules: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Helper:
    """A function, fixture or constant a test reaches: its node, its file's text, aliases and path."""
    node: ast.AST
    text: str
    aliases: dict[str, str]
    file: str


class HelperLookup(Protocol):
    """Helpers by name: a dict, or the helpers a test file's tests reach (auditor.evidence.testindex)."""

    def get(self, name: str, /) -> Helper | None: ...


@dataclass(frozen=True)
class Facts:
    """What the judge asks of a test or helper node, from one walk of it."""

    calls: tuple[tuple[str, str, ast.Call], ...]  # (dotted name, short name, node), in ast.walk order
    strings: tuple[str, ...]  # string constants
    asserts: int  # assert statements, pytest.raises / warns / fail, *assert* calls
    called: frozenset[str] = frozenset()  # the calls' short names
    asserted: tuple[ast.AST, ...] = ()  # what the assertions read (_assert_nodes), in ast.walk order
    bindings: tuple[tuple[ast.AST, ast.AST], ...] = ()  # (target, value) of each binding (_assigned), in order
    names: frozenset[str] = frozenset()  # the bare names it reads (a module constant: `TRAIN`)
    helper_calls: frozenset[str] = frozenset()  # the names its calls may reach a test helper by (helper_name)


def facts(node: ast.AST, aliases: dict[str, str]) -> Facts:
    """The node's calls, strings, assertions and bindings, kept on the node (asked once per
    question per test, and for a helper by every test that uses it)."""
    cached = getattr(node, "_audit_facts", None)
    if cached is not None:
        return cached
    calls: list[tuple[str, str, ast.Call]] = []
    strings: list[str] = []
    asserted: list[ast.AST] = []
    bindings: list[tuple[ast.AST, ast.AST]] = []
    names: set[str] = set()
    helper_calls: set[str] = set()
    for sub in walk(node):  # by exact class: a parsed tree holds no subclasses of ast's node classes
        cls = sub.__class__
        if cls is ast.Name:
            names.add(sub.id)
        elif cls is ast.Call:
            name = _dotted(sub.func, aliases)
            short = name.split(".")[-1]
            calls.append((name, short, sub))
            if helper_name(sub, aliases) is not None:
                helper_calls.add(short)
            if name in ASSERT_CALLS or short.startswith("assert"):
                asserted.append(sub)
        elif cls is ast.Assert:
            asserted.append(sub.test)
        elif cls is ast.Constant:
            if sub.value.__class__ is str:
                strings.append(sub.value)
        elif cls in _BINDING_CLASSES:
            bindings += _bound_pairs(sub)
    out = Facts(tuple(calls), tuple(strings), len(asserted), frozenset(short for _, short, _ in calls),
                tuple(asserted), tuple(bindings), frozenset(names), frozenset(helper_calls))
    node._audit_facts = out  # type: ignore[attr-defined]
    return out


def helper_name(call: ast.Call, aliases: dict[str, str]) -> str | None:
    """The name a call may reach a test helper by: a bare name (`validate(path)`), a method of the
    test's own class (`self.run_train()`, `super().setUp()`), a function of an imported module
    (`helpers.run_train()`). None for a method of anything else (`Validator(s).validate(doc)`):
    that object's own method, not the helper of another file that happens to share its name."""
    func = call.func
    if isinstance(func, ast.Name):
        return _dotted(func, aliases).split(".")[-1]
    if not isinstance(func, ast.Attribute):
        return None
    root = func.value
    while isinstance(root, ast.Attribute):
        root = root.value
    own = func.value is root and (isinstance(root, ast.Name) and root.id in ("self", "cls") or (
        isinstance(root, ast.Call) and isinstance(root.func, ast.Name) and root.func.id == "super"))
    return func.attr if own or (isinstance(root, ast.Name) and root.id in aliases) else None


_BINDING_CLASSES = frozenset((ast.Assign, ast.AnnAssign, ast.AugAssign, ast.NamedExpr, ast.For, ast.comprehension,
                              ast.withitem))


def _bound_pairs(sub: ast.AST) -> list[tuple[ast.AST, ast.AST]]:
    """(target, value) of a binding: assignments, loop targets, with ... as, walrus."""
    if isinstance(sub, ast.Assign):
        return [(t, sub.value) for t in sub.targets]
    if isinstance(sub, (ast.AnnAssign, ast.AugAssign, ast.NamedExpr)) and sub.value is not None:
        return [(sub.target, sub.value)]
    if isinstance(sub, (ast.For, ast.comprehension)):
        return [(sub.target, sub.iter)]
    if isinstance(sub, ast.withitem) and sub.optional_vars is not None:
        return [(sub.optional_vars, sub.context_expr)]
    return []


@functools.lru_cache(maxsize=8)
def _lines_keepends(text: str) -> tuple[str, ...]:
    parts = _LINE_END.split(text)
    return tuple(a + b for a, b in zip(parts[0::2], parts[1::2] + [""]))


def segment(text: str, node: ast.AST) -> str:
    """The source of `node`, with the file split once (ast.get_source_segment re-splits the whole
    file per call, which was half the time of an audit of this repository)."""
    cached = getattr(node, "_audit_segment", None)
    if cached is not None and cached[0] is text:  # a helper's source, asked by every test that uses it
        return cached[1]
    out = _segment(text, node)
    node._audit_segment = (text, out)  # type: ignore[attr-defined]
    return out


def _segment(text: str, node: ast.AST) -> str:
    end_lineno, end_col = getattr(node, "end_lineno", None), getattr(node, "end_col_offset", None)
    if end_lineno is None or end_col is None or getattr(node, "lineno", None) is None:
        return ""
    lines = _lines_keepends(text)
    first, last = node.lineno - 1, end_lineno - 1
    if last >= len(lines):
        return ""
    if first == last:
        return lines[first].encode()[node.col_offset:end_col].decode(errors="replace")
    head = lines[first].encode()[node.col_offset:].decode(errors="replace")
    tail = lines[last].encode()[:end_col].decode(errors="replace")
    return "".join((head, *lines[first + 1:last], tail))


def short(text: str | None, limit: int = 160) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --------------------------------------------------------------------------- driving training


def _receiver(call: ast.Call) -> ast.AST | None:
    return call.func.value if isinstance(call.func, ast.Attribute) else None


def _drives(name: str, short_name: str, sub: ast.Call, aliases: dict[str, str], strings: list[str],
            targets: Targets, trainers: frozenset[str] = frozenset()) -> str:
    """How one call starts training ("" when it does not: a dry run trains nothing)."""
    how = _how_drives(name, short_name, sub, aliases, strings, targets, trainers)
    return "" if how and _dry_run(sub) else how


_TRAINER = rxcache.compile(r"trainer", re.I)


def _how_drives(name: str, short_name: str, sub: ast.Call, aliases: dict[str, str], strings: list[str],
                targets: Targets, trainers: frozenset[str]) -> str:
    receiver = _receiver(sub)
    rtext = _dotted(receiver, aliases) if receiver is not None else ""
    if short_name in targets.functions and _trains_there(name, short_name, receiver, rtext, aliases, targets,
                                                         trainers):
        return "calls"
    if short_name in ("fit", "train") and _TRAINER.search(rtext):
        return f"calls a trainer's {short_name}():"
    if short_name in _SCRIPT_MAINS and "." in name and _is_script(name.rsplit(".", 1)[0], targets):
        return "calls the training script's entry function:"  # `train.main(...)`: the script, in-process
    if (name in SUBPROCESS or name.startswith("subprocess.")) and _runs_training(tuple(strings), targets) \
            and not _another_program(sub, targets):
        return "runs the training command:"
    if short_name == "invoke":
        first = sub.args[0] if sub.args else None
        first_name = _dotted(first, aliases).split(".")[-1] if first is not None else ""
        if "train" in facts(sub, aliases).strings or first_name in targets.functions | targets.commands:
            return "invokes the CLI:"
    return ""


_DRY_RUN = rxcache.compile(r"--?dry[-_]?run$", re.I)


def _dry_run(call: ast.Call) -> bool:
    """`train.py --dry-run`, `main(["--dry_run"])`, `main(dry_run=True)`: the run stops before training."""
    return any(isinstance(sub, ast.Constant) and isinstance(sub.value, str) and _DRY_RUN.match(sub.value)
               for arg in call.args for sub in ast.walk(arg)) or any(
        k.arg and k.arg.replace("_", "") == "dryrun" and isinstance(k.value, ast.Constant) and k.value.value is True
        for k in call.keywords)


def _trains_there(name: str, short_name: str, receiver: ast.AST | None, rtext: str, aliases: dict[str, str],
                  targets: Targets, trainers: frozenset[str]) -> bool:
    """Whether a call of a function named like one that trains calls that one: not the function of
    that name of another module (`from lab.vocab import train`, `subprocess.run`), nor a generic
    method of an object (`model.train()`) other than a trainer (`first = make_trainer(); first.train()`)."""
    if receiver is not None:  # `engine.train(...)`, `lab.engine.train(...)`: the receiver names an imported module
        root = receiver
        while isinstance(root, ast.Attribute):
            root = root.value
        imported = isinstance(root, ast.Name) and root.id in aliases
    else:
        imported = name != short_name
    if imported:  # `train(...)` imported from a module, or `module.train(...)`
        where = name.rsplit(".", 1)[0]
        if targets.function_modules:
            return where in targets.function_modules
        return where.split(".")[0] not in sys.stdlib_module_names
    if receiver is None:
        return True  # a name the test file defines or a fixture hands it
    return short_name not in _GENERIC_METHODS or bool(_TRAINER.search(rtext)) or rtext in trainers


def _trainer_names(node: ast.AST, aliases: dict[str, str]) -> frozenset[str]:
    """Names `node` binds to a trainer it builds: `first = make_trainer(...)`, `t = Trainer(...)`."""
    return frozenset(t.id for t, v in facts(node, aliases).bindings if isinstance(t, ast.Name)
                     and isinstance(v, ast.Call) and _TRAINER.search(_dotted(v.func, aliases)))


def _is_script(module: str, targets: Targets) -> bool:
    """Whether the module `module` (as imported: `train`, `scripts.train`) is one of the scripts that
    start training, by its path (`tools/train.py` is not the documented `train.py`)."""
    path = module.replace(".", "/") + ".py"
    return any(script == path or script.endswith("/" + path) for script in targets.scripts)


def drive(node: ast.AST, text: str, aliases: dict[str, str], strings: list[str], targets: Targets) -> tuple[str, int]:
    """(how `node` starts training, its line), or ("", 0) when it does not."""
    trainers = _trainer_names(node, aliases)
    for name, short_name, sub in facts(node, aliases).calls:
        how = _drives(name, short_name, sub, aliases, strings, targets, trainers)
        if how:
            return f"{how} {short(segment(text, sub))}", sub.lineno
    return "", 0


def drive_sites(node: ast.AST, aliases: dict[str, str], strings: list[str], targets: Targets,
                driving_helpers: set[str]) -> int:
    """How many calls in `node` itself start training, directly or through a helper that does."""
    trainers = _trainer_names(node, aliases)
    return sum(1 for name, short_name, sub in facts(node, aliases).calls
               if short_name in driving_helpers or _drives(name, short_name, sub, aliases, strings, targets, trainers))


# what runs a training script or module: interpreters, launchers, shells, schedulers, wrappers
_LAUNCHERS = rxcache.compile(r"(?:python[\d.]*|py|pypy3?|torchrun|accelerate|deepspeed|bash|sh|zsh|srun|sbatch|salloc|"
                             r"mpirun|mpiexec|horovodrun|uv|poetry|pipenv|conda|mamba|pixi|hatch|env|nohup|timeout|"
                             r"stdbuf|nice|time|make|just|lightning|xvfb-run|taskset|numactl|docker|singularity|"
                             r"apptainer)$")


def _another_program(sub: ast.Call, targets: Targets) -> bool:
    """Whether the subprocess call visibly runs some other program (`["git", "ls-files", "train.py"]`,
    "wc -l train.py"): its argv's first word is a literal that is no interpreter or launcher, nor the
    project's command or a script; unknown (a variable, sys.executable) is not another program."""
    first = sub.args[0] if sub.args else next((k.value for k in sub.keywords if k.arg == "args"), None)
    if isinstance(first, (ast.List, ast.Tuple)) and first.elts:
        first = first.elts[0]
        word = first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else None
    elif isinstance(first, ast.Constant) and isinstance(first.value, str):
        word = (first.value.split() or [""])[0]
    else:
        word = None
    if not word:
        return False
    program = word.rsplit("/", 1)[-1]
    return not (_LAUNCHERS.match(program) or program in targets.commands or program.endswith((".py", ".sh"))
                or "=" in program)  # `ENV=1 python ...` in a shell string




def training_starts(node: ast.AST, aliases: dict[str, str], strings: list[str], targets: Targets,
                    driving: set[str]) -> list[ast.Call]:
    """The calls of a test that start training: of a helper that does, or ones that do by themselves."""
    trainers = _trainer_names(node, aliases)
    return [sub for name, short, sub in facts(node, aliases).calls
            if short in driving or _drives(name, short, sub, aliases, strings, targets, trainers)]


_WORD = rxcache.compile(r"[A-Za-z0-9_.\-/]+")


@functools.lru_cache(maxsize=256)  # by the test's strings: asked again at each subprocess call of a test
def _runs_training(strings: tuple[str, ...], targets: Targets) -> bool:
    joined = " ".join(strings)
    words = set(_WORD.findall(joined))
    # a script named as it is, or by a path ending in its file name: `w.endswith("/" + name)`, and
    # the name holds no "/", so it is what follows the last "/" of the word
    names = {s.rsplit("/", 1)[-1] for s in targets.scripts}
    if words & set(targets.scripts) or any("/" in w and w.rsplit("/", 1)[1] in names for w in words):
        return True
    if targets.modules and ("-m" in words or re.search(r"-m\s", joined)) and words & targets.modules:
        return True
    if words & targets.commands:
        return True
    return bool(targets.package) and targets.package in words and "train" in words


# --------------------------------------------------------------------------- what is asserted


def _assert_nodes(node: ast.AST, aliases: dict[str, str]) -> list[ast.AST]:
    """The expressions an assertion reads: `assert X`, the arguments of self.assert*/pytest.raises,
    and what a `with self.assertLogs(...) as logs` binds."""
    return list(facts(node, aliases).asserted)


def _assigned(node: ast.AST, aliases: dict[str, str]) -> dict[str, list[ast.AST]]:
    """name -> the values bound to it in `node` (assignments, loop targets, with ... as, walrus)."""
    out: dict[str, list[ast.AST]] = {}
    for target, value in facts(node, aliases).bindings:
        for t in walk(target):
            if isinstance(t, ast.Name):
                out.setdefault(t.id, []).append(value)
    return out


def asserted_text(node: ast.AST, text: str, aliases: dict[str, str], helpers: HelperLookup,
                  constants: dict[str, list[ast.AST]] | None = None) -> str:
    """The source an assertion of `node` depends on: asserted expressions, the values of the names
    they read (to a fixed point within `node`, then the module's constants), and the helpers those
    call (one level)."""
    return "\n".join(asserted_pieces(node, text, aliases, helpers, constants))


def asserted_pieces(node: ast.AST, text: str, aliases: dict[str, str], helpers: HelperLookup,
                    constants: dict[str, list[ast.AST]] | None = None) -> list[str]:
    """asserted_text's pieces, unjoined (effects_in searches each piece once, however many tests share it)."""
    if constants is None:  # a helper: the same for every test that uses it, so kept on its node
        cached = getattr(node, "_audit_asserted", None)
        if cached is None or cached[0] is not text or cached[1] is not aliases:
            cached = (text, aliases, _asserted_core(node, text, aliases, None))
            node._audit_asserted = cached  # type: ignore[attr-defined]
        pieces, called = cached[2]
    else:
        pieces, called = _asserted_core(node, text, aliases, constants)
    pieces = list(pieces)
    for name in called:
        helper = helpers.get(name)
        if helper is not None and helper.node is not node:
            pieces.append(segment(helper.text, helper.node))
    return pieces


def _asserted_core(node: ast.AST, text: str, aliases: dict[str, str],
                   constants: dict[str, list[ast.AST]] | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The asserted expressions and the values they read, as source, and the names they call (sorted)."""
    bound = {**(constants or {}), **_assigned(node, aliases)}
    pending = list(_assert_nodes(node, aliases))
    seen: set[int] = set()
    pieces: list[str] = []
    called: set[str] = set()
    while pending:
        expr = pending.pop()
        if id(expr) in seen:
            continue
        seen.add(id(expr))
        pieces.append(segment(text, expr))
        for sub in walk(expr):
            if isinstance(sub, ast.Name):
                pending += bound.get(sub.id, [])
                called.add(sub.id)  # a fixture or helper used by name
            elif isinstance(sub, ast.Call) and helper_name(sub, aliases) is not None:
                called.add(_dotted(sub.func, aliases).split(".")[-1])
            elif isinstance(sub, ast.Lambda):
                pending.append(sub.body)
    return tuple(pieces), tuple(sorted(called))


_FRESH_START = rxcache.gated(r"--fresh|from scratch|start(?:s|ing|ed)? (?:over|afresh|at step 0|from step 0)|"
                          r"overwrite_output_dir|(?:step|epoch|iter)\w*\s*==\s*0\b|"
                          r"(?:step|epoch|iter)\w*(?:[\"']\])?\s*,\s*0\s*\)", re.I)  # assertEqual(r["step"], 0)
# a step or epoch read back from a run: not a keyword argument's name (`fit(num_steps=300)` sets one)
_STATE_COUNTER = rxcache.compile(r"(?:step|epoch|iter|newest|latest|last)(?!\w*[ \t]*=(?!=))", re.I)


def effects_of(asserted: str, runs: int = 1) -> frozenset[str]:
    """The effects an asserted text looks at; `runs`: training runs the test starts (a second run
    asserted on its step or epoch is a resume, whatever words it uses)."""
    return _effects(lambda mark: bool(mark.search(_subject(mark, asserted))), runs)


def effects_in(pieces: list[str], runs: int = 1) -> frozenset[str]:
    """effects_of("\n".join(pieces), runs), with each piece searched once however many tests share it; a
    resume or a fresh start asserted absent (`"starting from scratch" not in log`) is neither."""
    present = [p for p in pieces if not _ABSENT.match(p)]
    return _effects(lambda mark: _marked(mark, present if mark in (_RESUME_MARK, _FRESH_START) else pieces), runs)


# an asserted piece that says a text is absent: `"starting from scratch" not in log`
_ABSENT = rxcache.compile(r"\s*[rbuf]{0,2}(?:\"[^\"\n]*\"|'[^'\n]*')\s+not\s+in\s")


def _effects(has: Callable[[re.Pattern[str]], bool], runs: int) -> frozenset[str]:
    found = set()
    if runs >= 2 and has(_STATE_COUNTER) and not has(_FRESH_START):
        found.add(RESUMED)
    if has(_CHECKPOINT_MARK):
        found.add(CHECKPOINTS)
    if has(_PROGRESS_MARK):
        found.add(PROGRESS)
    if has(_LOG_SOURCE) and has(_PER_STEP) or has(_JSON_LOG) and has(_STEP_KEY):
        found.add(STEP_LOG)
    if has(_HEARTBEAT_MARK):
        found.add(HEARTBEAT)
    if has(_RESUME_MARK) and not has(_FRESH_START):
        found.add(RESUMED)
    return frozenset(found)


# Searching "\n".join(pieces) piece by piece finds the same as searching it whole, but where a
# match runs across a join. The newline a join adds is matched only by _PER_STEP's \W{0,3},
# _FRESH_START's \s* and _RESUME_OPTION's \s* (the lookbehinds and \b see it as they see a
# text's start or end), so such a match ends in a piece that begins with the rest of it: these
# patterns, matched at the start of every piece but the first, say whether one could; only
# then is the whole text searched.
_GOES_ON = {
    _PER_STEP: rxcache.compile(r"\W{0,2}(?:\(\\d|\\d|\{)|\W{0,2}(?:\d+|\{[^{}\n]{0,40}\}) *\[ *(?:\d+|\{)", re.I),
    _FRESH_START: rxcache.compile(r"\s*(?:==\s*)?0\b", re.I),
    _RESUME_OPTION: rxcache.compile(r"\s*(?:resume|continue|restore|=)", re.I),
}


def _case_sensitive(mark: re.Pattern[str]) -> re.Pattern[str]:
    """`mark` without re.I, for lower-cased ASCII text: there it matches where `mark` matches the
    text (ASCII letters have no case-insensitive matches outside ASCII), and Python's re skips
    ahead to a literal's first letters only when the case is fixed: about twice as fast."""
    if _UPPER_CASE.search(mark.pattern):
        raise ValueError(f"a mark must be written in lower case: {mark.pattern}")
    return rxcache.compile(mark.pattern, mark.flags & ~re.I)


# The words every match of a mark holds, lower-cased: a piece holding none of them is not searched
# (most are not, and `in` runs at memory speed).
_WORDS = {
    _CHECKPOINT_MARK: ("ckpt", "checkpoint", ".pt", "safetensors", "save", "step_", "snapshot", "persist",
                       "statefile", "state_file", "list_states"),
    _PROGRESS_MARK: ("progress", "status.", "state.", "status\"", "status'"),
    _LOG_SOURCE: ("log", "stdout", "stderr", "capsys", "capfd", "metrics.csv", ".jsonl", "mlruns"),
    _PER_STEP: ("loss", "step", "iter", "batch", "train", "chunk"),
    _JSON_LOG: (".jsonl",),
    _STEP_KEY: ("step", "iter"),
    _HEARTBEAT_MARK: ("heartbeat", "heart_beat", "liveness", "alive", "beat"),
    _RESUME_MARK: ("resum", "restor", "continu", "restart"),
    _RESUME_OPTION: ("resume", "continue", "restore", "--from", "--init", "--load", "init_from", "ckpt_path"),
    _FRESH_START: ("--fresh", "from scratch", "start", "overwrite_output_dir", "==", ", 0", ",0"),
    _STATE_COUNTER: ("step", "epoch", "iter", "newest", "latest", "last"),
}
_BY_PATTERN = {mark.pattern: (mark, words, _case_sensitive(mark)) for mark, words in _WORDS.items()}
if len(_BY_PATTERN) != len(_WORDS):
    raise ValueError("two marks with one pattern text: _in_piece_of could not tell them apart")


# an evaluation's line, from its name to the end of its string or line (`"val step (\d+) loss"`,
# `f"eval_loss {x}"`): its step and loss are not per-step training logging
_EVALUATION = rxcache.compile(r"\b(?:val|eval|valid|validation)(?:[ _:=]|\b)[^\"'\n]*|\btest[ :=][^\"'\n]*", re.I)


_EVAL_WORDS = rxcache.compile(r"val|test", re.I)  # what every evaluation line holds: most texts hold neither
_EVALUATION_LOWER = _case_sensitive(_EVALUATION)  # for lower-cased ASCII: the same spans


def _subject(mark: re.Pattern[str], text: str) -> str:
    """What `mark` is searched in: for _PER_STEP, `text` with evaluation lines blanked (line by line,
    so that pieces and their join agree)."""
    return _EVALUATION.sub(" ", text) if mark is _PER_STEP and _EVAL_WORDS.search(text) else text


def _in_piece(mark: re.Pattern[str], piece: str) -> bool:
    return _in_piece_of(mark.pattern, piece)


# by the pattern's text: hashing a compiled pattern hashes its whole code, at every lookup
@functools.lru_cache(maxsize=1 << 16)
def _in_piece_of(pattern: str, piece: str) -> bool:
    mark, words, lower_mark = _BY_PATTERN[pattern]
    if not piece.isascii():
        return mark.search(_subject(mark, piece)) is not None
    lower = _lowered(piece)
    if mark is _PER_STEP and ("val" in lower or "test" in lower):  # _subject's, on the lower-cased piece
        lower = _EVALUATION_LOWER.sub(" ", lower)
    for word in words:  # a loop, not any(): a generator per piece and mark cost more than the words
        if word in lower:
            return lower_mark.search(lower) is not None
    return False


@functools.lru_cache(maxsize=1 << 12)
def _lowered(piece: str) -> str:  # once per piece: each piece is asked for every mark
    return piece.lower()


def _marked(mark: re.Pattern[str], pieces: list[str]) -> bool:
    """Whether `mark` matches "\n".join(pieces)."""
    if any(_in_piece(mark, p) for p in pieces):
        return True
    goes_on = _GOES_ON.get(mark)
    if goes_on is None or not any(goes_on.match(_subject(mark, p)) for p in pieces[1:]):
        return False
    return bool(mark.search(_subject(mark, "\n".join(pieces))))


def hands_resume_option(pieces: list[str]) -> bool:
    """passes_resume_option("\n".join(pieces)): _marked is its first search, of the joined text piece by
    piece, and the pieces are blanked piece by piece only when it finds a resume option."""
    return _marked(_RESUME_OPTION, pieces) and _RESUME_OPTION.search(code_only_pieces(pieces)) is not None


def passes_resume_option(closure_text: str) -> bool:
    """Whether the test hands training a resume path or flag (so a resume it sees is not automatic).
    Comments and docstrings hand nothing over: `# same command: --resume latest is the default`
    describes the rerun, it is not an argument of it."""
    return bool(_RESUME_OPTION.search(closure_text)) and bool(_RESUME_OPTION.search(code_only(closure_text)))
