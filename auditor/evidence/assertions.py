"""Effects confirmed one assertion at a time: what a test's assertions really read.

behaviour.effects_in searches everything a test's assertions read, joined: a quick and generous
first pass. A mark found there may come from another assertion than the one that reads the
effect (a count in one assert, a checkpoint name in the next), from a fixture whose source only
mentions it, or from a line that is not the effect at all. The effects whose false ✅ a reader
would act on are confirmed here against each assertion's own text (the asserted expression, the
values of the names it reads, the helpers it calls, and what a fixture it uses yields); an
effect is only ever taken away, never added:

- checkpoints (written during training): an assertion on checkpoints that shows more than one
  save (a count of two or more, their times compared, a range of them), or step- or
  epoch-numbered checkpoints besides the run's last step (two or more, or one before a last step
  the test gives), or two or more file names of one pattern listed in one assertion, one of them not
  named for the last step. The last step is what the test tells training to stop at (`--max-steps 40`,
  `max_epochs=3`): a checkpoint named for it is the end-of-training save, which any trainer
  writes. A test that looks at one checkpoint only keeps ONE_CHECKPOINT, for the reason given;
- step_log: a log source and a training loss or a step-numbered line, once the strings that are
  resume or save lines ("resumed from ... step N", "saved checkpoint at step N") are left out;
- resumed: a resume mark, or a second run's step, in one assertion's own text.
"""

from __future__ import annotations

import ast
import functools
import re
from dataclasses import dataclass
from typing import Callable

from auditor import rxcache, rxgate
from auditor.evidence import behaviour
from auditor.evidence.behaviour import CHECKPOINTS, RESUMED, STEP_LOG, Helper, HelperLookup, segment
from auditor.evidence.code.syntax import dotted, walk

ONE_CHECKPOINT = "one_checkpoint"  # looks at one checkpoint only (a final save, a file whose step is unknown)

# searched in lower-cased text, without re.I (Python's re skips ahead to a literal only when the case is fixed)
_OPTION = rxcache.compile(r"--[a-z][\w-]*")  # `--ckpt-every` names a setting, not a file asserted on
# Worded: searched only in texts that hold one of the words every match holds (most hold none)
_CHECKPOINT = rxgate.Worded(rxcache.compile(r"ckpt|checkpoint|\.pth?\b|\.ckpt\b|safetensors|snapshot|persist|"
                                            r"state_?files?|list_states|sav(?:e|es|ed|ing)\b|step_\d"),
                            ("ckpt", "checkpoint", ".pt", "safetensors", "snapshot", "persist", "state", "sav", "step_"))
_COUNT = rxgate.Worded(rxcache.gated(
    r"\b(?:len|count)\(.{0,160}?\)\s*(?:>=\s*(?:[2-9]|\d\d)|>\s*(?:[1-9]|\d\d)|==\s*(?:[2-9]|\d\d))"
    r"|\b(?:[2-9]|\d\d)\s*<=\s*len\("
    r"|assert(?:greaterequal|greater|equal)\(\s*len\(.{0,160}?\)\s*,\s*(?:[2-9]|\d\d)\b"
    r"|assertlen\(.{0,160}?,\s*(?:[2-9]|\d\d)\s*\)", re.S),  # unittest's and absltest's
    ("len(", "count("))
_TIMES = rxgate.Worded(rxcache.compile(r"mtime|total_seconds|timestamp|strptime|logged_at|monotonic|time\.time|datetime"),
                       ("mtime", "total_seconds", "timestamp", "strptime", "logged_at", "monotonic", "time.time",
                        "datetime"))
_PAIRS = rxgate.Worded(rxcache.gated(r"zip\(|\[1:\]|\bgaps?\b|\bintervals?\b|\bapart\b"),
                       ("zip(", "[1:]", "gap", "interval", "apart"))
_SINCE_LAST = rxgate.Worded(rxcache.compile(r"since (?:the )?(?:last|previous)"), ("since ",))
_STEP_WORD = rxcache.compile(r"step|epoch|iter|episode")
_RANGE = rxgate.Worded(rxcache.compile(r"\brange\("), ("range(",))
# checkpoints named for a step or epoch: `ckpt_000020.pt`, `global_step10`, `checkpoint-6`, `ep_3.pt`, `model_0.pth`
_NUMBERED = rxcache.gated(r"(?<![a-z0-9])(?:ckpt|checkpoint|snapshot|step|epoch|ep|iter|iteration|it|save)[-_]?0*(\d+)"
                       r"(?![\d])|(?<![a-z0-9])(?:model|state|weights)[-_]?0*(\d+)\.\w+")
# Lightning's `epoch=0-step=20.ckpt`: the step is the save's number (not the epoch beside it); only in
# a checkpoint file's name (a log line's `step=20` is no save)
_STEP_NAMED = rxgate.Worded(rxcache.gated(r"(?<![a-z0-9])step=0*(\d+)(?=[\w=.-]*\.(?:ckpt|pth?|safetensors)\b)"),
                            ("step=",))
_DIGITS = rxcache.compile(r"\d+")
_NUMBER_LIST = rxcache.compile(r"[\[({]\s*\d+\s*(?:,\s*\d+\s*)+,?\s*[\])}]")
# the checkpoint files listed from a folder, `(run / "checkpoints").glob("*.ckpt")`, `os.listdir(ckpt_dir)`
_CHECKPOINT_LISTING = rxgate.Worded(rxcache.compile(
    r"(?:ckpt|checkpoint|\.pth?\b|safetensors)[^\n]{0,80}?(?:\.r?glob|\.iterdir|listdir|scandir)\(|"
    r"(?:glob|iterdir|listdir|scandir)\([^\n]{0,80}?(?:ckpt|checkpoint|\.pth?\b|safetensors)"),
    ("glob(", "iterdir(", "listdir(", "scandir("))
# the step, iteration or epoch a run is told to stop at: `"--max-steps", "40"`, `max_epochs=3`, `num_train_steps=30`
_LAST_STEP = rxcache.compile(r"(?:steps|iters|iterations|epochs|updates|episodes)[\"']?\s*[,=:]\s*[\"']?(\d+)\b")
_LAST_STEP_BEFORE = rxcache.compile(r"\W(?:(?:max|num|total|train)[-_]?(?:train[-_]?)?)?$")  # not `log_every_steps`
_STRING = rxcache.compile(r"(\"\"\"|'''|\"|')(?:\\.|(?!\1).)*?\1", re.S)
# a checkpoint file's name listed in an assertion: a number in it and an extension
_FILE_NAME = rxcache.compile(r"^[\w.=-]*\d[\w.=-]*\.[a-z][a-z0-9]{0,11}$")  # `epoch=0-step=20.ckpt` too
_CHECKPOINT_FILE = rxcache.compile(r"\.(?:keras|h5|hdf5|pt|pth|ckpt|safetensors|bin|npz|msgpack|pkl|tar)$")
# numbers that tell the files of one save apart, not saves: shards, ranks, parts
_ONE_SAVE = rxcache.compile(r"\d+-of-\d+|rank|shard|part|distcp|world|gpu|device|worker")
_NOT_A_STEP_LINE = rxcache.compile(r"resum|restor|continu|sav(?:e|es|ed|ing)\b|checkpoint|ckpt|snapshot|wrote|writing|"
                                  r"start(?:s|ed|ing)?\b[^\"'\n]{0,20}\b(?:from|at)\b")  # "Starting training from iteration N"


@dataclass(frozen=True)
class Reads:
    """What one assertion reads: `near`, the asserted expression with the values of the names it
    reads (one binding away; module constants at any depth) and the helpers those call; `full`,
    every binding down to a fixed point, with the helpers called and what fixtures used by name
    yield; `plumbing`, `full` with those fixtures' whole source (where a process's output goes)."""

    near: str
    full: str
    plumbing: str


@dataclass(frozen=True)
class _Core:
    """One assertion's reads within its own function: sources by depth, and the names it calls or
    uses (with the least depth each is reached at), to be looked up among the helpers."""

    near: tuple[str, ...]
    far: tuple[str, ...]
    called: tuple[tuple[str, int], ...]
    named: tuple[tuple[str, int], ...]


def assertion_texts(node: ast.AST, text: str, aliases: dict[str, str], helpers: HelperLookup,
                    constants: dict[str, list[ast.AST]] | None = None) -> list[Reads]:
    """What each assertion of `node` reads (see the module's doc). A helper's (constants None)
    cores are the same for every test that uses it, so they are kept on its node."""
    cores = getattr(node, "_audit_cores", None) if constants is None else None
    if cores is None or cores[0] is not text or cores[1] is not aliases:
        local = behaviour._assigned(node, aliases)
        found = [_core(expr, text, aliases, local, constants or {}) for expr in behaviour._assert_nodes(node, aliases)]
        cores = (text, aliases, found)
        if constants is None:
            node._audit_cores = cores  # type: ignore[attr-defined]
    return [_reads(core, helpers, node) for core in cores[2]]


def _core(expr: ast.AST, text: str, aliases: dict[str, str], local: dict[str, list[ast.AST]],
          constants: dict[str, list[ast.AST]]) -> _Core:
    pending: list[tuple[ast.AST, int]] = [(expr, 0)]
    seen: set[int] = set()
    near: list[str] = []
    far: list[str] = []
    called: dict[str, int] = {}
    named: dict[str, int] = {}
    while pending:
        e, depth = pending.pop()
        if id(e) in seen:
            continue
        seen.add(id(e))
        (near if depth <= 1 else far).append(segment(text, e))
        calls, names, lambdas = _scan(e, aliases)
        for short in calls:
            called[short] = min(called.get(short, depth), depth)
        for name in names:
            if name in local:
                pending += [(v, depth + 1) for v in local[name]]
            else:
                pending += [(v, depth) for v in constants.get(name, [])]
            named[name] = min(named.get(name, depth), depth)
        pending += [(body, depth) for body in lambdas]
    return _Core(tuple(near), tuple(far), tuple(sorted(called.items())), tuple(sorted(named.items())))


def _scan(expr: ast.AST, aliases: dict[str, str]) -> tuple[tuple[str, ...], tuple[str, ...], tuple[ast.AST, ...]]:
    """The short names `expr` calls, the names it reads and its lambdas' bodies; kept on the node (a
    value bound once is read by every assertion that uses the name)."""
    cached = getattr(expr, "_audit_scan", None)
    if cached is not None and cached[0] is aliases:
        return cached[1]
    calls: list[str] = []
    names: list[str] = []
    lambdas: list[ast.AST] = []
    for sub in walk(expr):
        if isinstance(sub, ast.Call):
            if behaviour.helper_name(sub, aliases) is not None:
                calls.append(dotted(sub.func, aliases).split(".")[-1])
        elif isinstance(sub, ast.Name):
            names.append(sub.id)
        elif isinstance(sub, ast.Lambda):
            lambdas.append(sub.body)
    out = (tuple(dict.fromkeys(calls)), tuple(dict.fromkeys(names)), tuple(lambdas))
    expr._audit_scan = (aliases, out)  # type: ignore[attr-defined]
    return out


def _reads(core: _Core, helpers: HelperLookup, node: ast.AST) -> Reads:
    near, far = list(core.near), list(core.far)
    called, named = dict(core.called), dict(core.named)
    fixtures: list[str] = []
    for name in sorted(set(called) | set(named)):
        helper = helpers.get(name)
        if helper is None or helper.node is node:
            continue
        depth = min(called.get(name, 99), named.get(name, 99))
        if name in called or not isinstance(helper.node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            (near if depth <= 1 else far).append(segment(helper.text, helper.node))
        else:  # a fixture used by name: what it returns or yields, not everything it does
            far += _yielded(helper)
            fixtures.append(segment(helper.text, helper.node))
    full = "\n".join(near + far)
    return Reads("\n".join(near), full, "\n".join([full, *fixtures]) if fixtures else full)


def _yielded(helper: Helper) -> tuple[str, ...]:
    """The values a fixture function returns or yields (its own statements, not nested definitions'),
    with the values of the names they read within it; kept on its node (every test using it asks)."""
    cached = getattr(helper.node, "_audit_yielded", None)
    if cached is not None and cached[0] is helper.text:
        return cached[1]
    bound = behaviour._assigned(helper.node, helper.aliases)
    out: list[str] = []
    pending: list[ast.AST] = []
    stack = list(ast.iter_child_nodes(helper.node))
    while stack:
        sub = stack.pop()
        if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        if isinstance(sub, (ast.Return, ast.Yield, ast.YieldFrom)) and sub.value is not None:
            pending.append(sub.value)
        stack.extend(ast.iter_child_nodes(sub))
    seen: set[int] = set()
    while pending:
        e = pending.pop()
        if id(e) in seen:
            continue
        seen.add(id(e))
        out.append(segment(helper.text, e))
        pending += [v for sub in walk(e) if isinstance(sub, ast.Name) for v in bound.get(sub.id, [])]
    helper.node._audit_yielded = (helper.text, tuple(out))  # type: ignore[attr-defined]
    return tuple(out)


@functools.lru_cache(maxsize=1024)
def last_steps(closure_text: str) -> frozenset[int]:
    """The steps, iterations or epochs the test's runs are told to stop at."""
    text = closure_text.lower()
    return frozenset(int(m.group(1)) for m in _LAST_STEP.finditer(text)
                     if _LAST_STEP_BEFORE.search(" " * (m.start() < 24) + text[max(0, m.start() - 24):m.start()]))


def confirm(effects: frozenset[str], texts: Callable[[], list[Reads]], closure_text: Callable[[], str],
            runs: int = 1) -> frozenset[str]:
    """`effects` (behaviour.effects_in's) less those no single assertion reads; `texts` gives the
    assertion texts and `closure_text` the test's source with its helpers', asked only when needed."""
    if not effects & {CHECKPOINTS, STEP_LOG, RESUMED}:
        return effects
    each = texts()
    out = set(effects)
    if CHECKPOINTS in effects:
        out.discard(CHECKPOINTS)
        out.add(_checkpoints(each, last_steps(closure_text()), runs) or ONE_CHECKPOINT)
    if STEP_LOG in effects and not any(_step_lines(r.full, r.plumbing) for r in each):
        out.discard(STEP_LOG)
    if RESUMED in effects and not any(_resumed(r.full, runs) for r in each):
        out.discard(RESUMED)
    return frozenset(out)


def _checkpoints(reads: list[Reads], last: frozenset[int], runs: int = 1) -> str | None:
    """CHECKPOINTS when an assertion shows saves during training, else None. In a test that trains
    twice (a resume), numbered names alone are not enough: each run ends with a save of its own,
    and which names those are cannot be told when the runs stop by a unit the names do not count."""
    numbers: set[int] = set()
    listed: tuple[tuple[int, ...], ...] = ()
    for r in reads:
        about, shown, named = _saves_read(r.near, r.full)
        if shown:
            return CHECKPOINTS
        if about:
            numbers |= named
            listed = max(listed, _listed_names(r.near), key=len)
    during = numbers - last
    if runs >= 2:
        return None
    if len(listed) >= 2 and any(any(nums) and not set(nums) & last for nums in listed):
        # one run ends with one save: of two or more names of one pattern, one not named for the last
        # step (nor for step 0, a save before training) was written during training
        return CHECKPOINTS
    if len(during) >= 2 or (len(during) == 1 and last and 0 < min(during) < max(last)):
        return CHECKPOINTS
    return None


@functools.lru_cache(maxsize=4096)
def _saves_read(near: str, full: str) -> tuple[bool, bool, frozenset[int]]:
    """(whether one assertion is about checkpoints, whether it shows more than one save, the steps its
    checkpoints are named or listed with). A count or a list of steps must be about checkpoints
    where it is asserted (`near`): logged steps compared after a resume are not checkpoints because
    the path resumed from was one. Kept per text: a helper's assertion is asked by every test."""
    full, near = full.lower(), near.lower()
    if not _names_checkpoint(_OPTION.sub(" ", full) if "--" in full else full):
        return False, False, frozenset()
    if _SINCE_LAST.search(full) or (_TIMES.search(full) and _PAIRS.search(full)):
        return True, True, frozenset()
    near_marked = _names_checkpoint(_OPTION.sub(" ", near) if "--" in near else near)
    stepped = bool(_STEP_WORD.search(near))
    if (_COUNT.search(near) or (stepped and _RANGE.search(near))) and (near_marked or _listed_steps(full)):
        return True, True, frozenset()  # (a count of what a checkpoint listing bound, however far back)
    numbers = {int(a or b) for a, b in _NUMBERED.findall(full)} | {int(n) for n in _STEP_NAMED.findall(full)}
    if stepped and (near_marked or _listed_steps(full)):
        numbers |= {int(n) for listed in _NUMBER_LIST.findall(near) for n in _DIGITS.findall(listed)}
    return True, False, frozenset(numbers)


def _names_checkpoint(lower: str) -> bool:
    return _CHECKPOINT.search(lower) is not None


def _listed_steps(full: str) -> bool:
    """Whether steps asserted where no checkpoint is named come from checkpoint files listed in a
    folder (the names bound, the steps parsed from them, then compared): not where the test hands
    training a checkpoint to resume from, whose logged steps are no saves."""
    return bool(_CHECKPOINT_LISTING.search(full)) and not (
        behaviour._in_piece(behaviour._RESUME_MARK, full) or behaviour._in_piece(behaviour._RESUME_OPTION, full))


@functools.lru_cache(maxsize=4096)
def _listed_names(near: str) -> tuple[tuple[int, ...], ...]:
    """The numbers of the largest set of checkpoint file names of one pattern that an assertion lists
    (`["ckpt-e01-b0040.keras", "ckpt-e02-b0017.keras"]`: one pattern, two saves); shards and ranks of one
    save are not listed saves."""
    groups: dict[str, set[tuple[int, ...]]] = {}
    for quoted in _STRING.finditer(near):
        name = quoted.group(0).strip("\"'")
        if not _FILE_NAME.match(name) or _ONE_SAVE.search(name) or not (
                _CHECKPOINT.search(name) or _CHECKPOINT_FILE.search(name)):
            continue
        groups.setdefault(re.sub(r"\d+", "#", name), set()).add(tuple(int(n) for n in re.findall(r"\d+", name)))
    return tuple(sorted(max(groups.values(), key=len, default=set())))


@functools.lru_cache(maxsize=4096)
def _step_lines(full: str, plumbing: str) -> bool:
    """A per-step mark in what is asserted, outside the strings that are resume or save lines, and
    a log source there or in the plumbing of the fixtures it uses (a process's stdout to a file); or the
    records of a JSON-lines log read by their step (`r["step"]` of what train.jsonl holds)."""
    if behaviour._in_piece(behaviour._STEP_KEY, full) and behaviour._in_piece(behaviour._JSON_LOG, plumbing):
        return True
    if not (behaviour._in_piece(behaviour._PER_STEP, full) and behaviour._in_piece(behaviour._LOG_SOURCE, plumbing)):
        return False
    kept = _STRING.sub(lambda m: m.group(0) if "loss" in m.group(0).lower()
                       or not _NOT_A_STEP_LINE.search(m.group(0).lower()) else '""', full)
    return behaviour._in_piece(behaviour._PER_STEP, kept)


# steps listed from the first again (`steps == list(range(1, 16))` after a rerun): a fresh start, or a log
# whose two runs cannot be told apart; a continuation shows where the second run began (range(21, 41))
_FROM_THE_FIRST = rxcache.compile(r"\brange\(\s*[01]\s*,")


def _resumed(text: str, runs: int) -> bool:
    if behaviour._ABSENT.match(text):  # `"resumed from" not in log`: asserted absent
        return False
    if behaviour._in_piece(behaviour._FRESH_START, text) or ("range(" in text and _FROM_THE_FIRST.search(text)):
        return False
    return behaviour._in_piece(behaviour._RESUME_MARK, text) or (
        runs >= 2 and behaviour._in_piece(behaviour._STATE_COUNTER, text))
