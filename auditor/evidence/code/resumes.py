"""Restores of training state: what they load, where the path comes from, what finds it.

A resume is worth its name when it brings back the training state (optimizer, step, RNG),
not only the model's weights; when the path is one a user can give (a command-line option, a
setting, a config field, the public method's parameter) or one the code finds itself (the
newest checkpoint by listing, `get_last_checkpoint`, `latest_step()`, an `os.path.exists`
check of the path it will load, a newest-checkpoint file an option names by default that the
restorer skips when it does not exist: fairseq's `--restore-file checkpoint_last.pt`); and, for auto-resume, when that discovery runs by default,
not only behind an option that is off unless given (`--continue`).
"""

from __future__ import annotations

import ast
import re
from typing import TYPE_CHECKING, Any

from auditor import rxcache
from auditor.evidence.code.facts import LOAD, STEP, Call, ResumeLoad
from auditor.evidence.code.syntax import calls_in, dotted, names_in, walk

if TYPE_CHECKING:
    from auditor.evidence.code.scan import FileScan, FunctionScan

# the analysis (auditor.evidence.code.flow._Analysis) is passed in; importing its module here would
# make a cycle (flow calls these functions)
_Analysis = Any

RESUME_NAME = rxcache.compile(r"^(?:resume\w*|\w+_resume|init_from|ckpt_path|checkpoint_path|resume_from\w*|load_from|"
                         r"restore_from|from_checkpoint|continue_from)$")
_STATE_RECEIVER = rxcache.compile(r"opt|optim|sched|scaler|lr_s|checkpointable", re.I)  # fvcore: the other stateful objects
_STATE_KEY = rxcache.compile(r"^(?:step|global_step|epoch|iter|iter_num|iteration|it|optimizer|opt|scheduler|rng\w*|"
                        r"\w*_rng|\w*rng_state\w*|gen_state|torch_rng|numpy_rng|sampler)$")
_EXISTS = {"exists", "isfile", "is_file", "isdir", "is_dir"}
# a file name that says it holds the newest state: checkpoint_last.pt, last.ckpt, latest.pth
_LAST_FILE = rxcache.compile(r"(?:^|[/\\_.\-])(?:last|latest|newest)(?:[_.\-]|$)", re.I)


def resume_names(a: _Analysis) -> set[str]:
    """The configured resume parameters and every name of the project that reads like one."""
    out = set(a.config.resume_parameters)
    for table in (a.values.params, a.values.fields, a.values.options, a.values.attrs):
        out |= {n for n in table if RESUME_NAME.match(n)}
    for scan in a.scans:
        for fs in scan.scopes():
            for names, _value in fs.assigns:
                out |= {n for n in names if RESUME_NAME.match(n)}
    return out


def user_names(a: _Analysis, scan: FileScan) -> set[str]:
    """Names a user can set: command-line option dests, config fields, the entry script's settings."""
    out = set(a.values.options) | set(a.values.fields)
    entry = a.entry_file
    if scan.rel == entry:
        out |= {n for (rel, n) in a.values.module if rel == entry}
    return out


def restores_state(a: _Analysis, qual: str, call: Call) -> tuple[bool | None, str]:
    """Whether a restore brings back training state: looked for in the function holding it, the
    functions it calls, and the restorers its load goes through."""
    scopes = {qual}
    for c, targets, _ in a.sites.get(qual, []):  # helpers it calls at start-up (`self._restore(payload)`)
        scopes |= set(targets) if c.loop_depth == 0 else set()
    frontier = _targets(a, qual, call)
    for _ in range(6):  # and the restorers its load goes through, all the way down
        scopes |= set(frontier)
        frontier = [t for q in frontier for c, _, _ in a.sites.get(q, []) for t in _targets(a, q, c)
                    if t not in scopes]
    weights = False
    for q in sorted(scopes):
        if q not in a.fscans:
            continue
        state, detail = _scope_restores(a, q)
        if state:
            return True, detail
        weights = weights or state is False
    if weights:
        return False, "loads the model weights only: optimizer, step and RNG are never restored"
    return None, ""


def _scope_restores(a: _Analysis, q: str) -> tuple[bool | None, str]:
    """What one function restores by itself: state (True), weights only (False) or nothing (None); cached."""
    cache = a.__dict__.setdefault("_restores", {})
    if q in cache:
        return cache[q]
    scan, fs = a.fscans[q]
    found: tuple[bool | None, str] = (None, "")
    for c, _node in fs.calls:
        receiver = c.name.rsplit(".", 1)[0] if "." in c.name else ""
        if c.short == "load_state_dict":
            # `self.checkpointables[key].load_state_dict(...)`: the receiver is a subscript, read from the text
            head = c.text.split(".load_state_dict", 1)[0] if receiver.endswith("<expr>") else receiver.split(".")[-1]
            if _STATE_RECEIVER.search(head):
                found = (True, f"{c.file}:{c.line} restores {receiver.split('.')[-1]}")
                break
            found = (False, "")
        if c.short == "load_weights":  # Keras: the model's variables, not the optimizer's nor the epoch
            found = (False, "")
        if c.short in ("set_state", "set_rng_state", "setstate"):
            found = (True, f"{c.file}:{c.line} restores the RNG state")
            break
    if not found[0]:
        for _names, value in fs.assigns:
            hit = next((sub for sub in walk(value) if isinstance(sub, ast.Subscript)
                        and isinstance(sub.slice, ast.Constant) and isinstance(sub.slice.value, str)
                        and _STATE_KEY.match(sub.slice.value)), None)
            if hit is not None:
                found = (True, f"{scan.rel}:{hit.lineno} reads {hit.slice.value!r} from the checkpoint")
                break
    cache[q] = found
    return found


def _targets(a: _Analysis, qual: str, call: Call) -> list[str]:
    for c, targets, _ in a.sites.get(qual, []):
        if c is call:
            return [t for t in targets if t in a.restorers or LOAD in {e for e in a.effects.get(t, {})}]
    return []


def discovery_site(a: _Analysis, scan: FileScan, fs: FunctionScan, node: ast.Call,
                   disc: set[str]) -> tuple[tuple[str, int], tuple, ast.AST | None]:
    """Where the discovered path a restore loads comes from (file, line), the guards on the way, and the
    expression that calls the discovery (None for an existence check)."""
    for arg in list(node.args) + [k.value for k in node.keywords]:
        if a.has_discovery_call(arg, scan):
            return (scan.rel, arg.lineno), fs.call_guards.get(id(node), ()), arg
    wanted = set().union(*(names_in(x) for x in list(node.args) + [k.value for k in node.keywords])) & disc
    guards: tuple = ()
    for _ in range(8):  # follow the assignments back to the one that calls the discovery
        hit = None
        for i, (names, value) in enumerate(fs.assigns):
            if names & wanted:
                hit = (value, fs.assign_guards[i] if i < len(fs.assign_guards) else ())
                if a.has_discovery_call(value, scan):
                    return (scan.rel, value.lineno), guards + hit[1], value
        if hit is None:
            break
        guards += hit[1]
        wanted = names_in(hit[0]) & disc
        if not wanted:
            break
    checked = existence_check(fs, node)
    if checked:
        return (scan.rel, checked), fs.call_guards.get(id(node), ()), None
    return ("", 0), guards, None


# names too general to tie an existence check to a restore (`os.path.exists(args.out)` and `load(args.resume)`)
_GENERAL = {"os", "path", "osp", "self", "cls", "args", "cfg", "config", "opt", "opts", "options", "hparams", "Path",
            "open", "read", "strip", "join", "str"}


def _load_names(load: ast.Call) -> set[str]:
    return set().union(*(names_in(x) for x in list(load.args) + [k.value for k in load.keywords]))


def _sources(fs: FunctionScan, names: set[str]) -> set[str]:
    """`names` and the local names they were computed from, back through assignments (`last` <- `f` <-
    `open(pointer)`): a restore of what a pointer file names loads what that file says."""
    out, frontier = set(names), set(names)
    for _ in range(6):
        new: set[str] = set()
        for targets, value in fs.assigns:
            if targets & frontier:
                new |= names_in(value)
        frontier = new - out
        if not frontier:
            break
        out |= frontier
    return out


def _positive_tests(guards: tuple) -> list[ast.AST]:
    """The tests that hold where the call runs: `if t:` and, after `if not t: return`, `t`."""
    out = []
    for g in guards:
        if not g.negated:
            out.append(g.test)
        elif isinstance(g.test, ast.UnaryOp) and isinstance(g.test.op, ast.Not):
            out.append(g.test.operand)
    return out


def _exists_checked(test: ast.AST, wanted: set[str]) -> set[str]:
    """The names of `wanted` that an `os.path.exists(path)` / `path.exists()` in `test` checks."""
    hit: set[str] = set()
    for sub in ast.walk(test):
        if isinstance(sub, ast.Call) and dotted(sub.func, {}).split(".")[-1] in _EXISTS:
            checked = set().union(*(names_in(x) for x in sub.args)) | (
                names_in(sub.func.value) if isinstance(sub.func, ast.Attribute) else set())
            hit |= checked & wanted
    return hit - _GENERAL


def existence_check(fs: FunctionScan, node: ast.Call) -> int:
    """The line of the existence check of the path a restore loads (or of the file it reads it from), 0 if none."""
    wanted = _sources(fs, _load_names(node))
    for test in _positive_tests(fs.call_guards.get(id(node), ())):
        if _exists_checked(test, wanted):
            return test.lineno
    return 0


def exists_discovery(fs: FunctionScan, node: ast.Call) -> bool:
    """The restore loads a path the code computes itself (`<out>/last.pt`, or what a pointer file there
    names) after checking it exists; a user's path (a parameter or option that is None unless given)
    checked for existence is not found by the code, it is given."""
    loaded = _load_names(node)
    wanted = _sources(fs, loaded)
    for test in _positive_tests(fs.call_guards.get(id(node), ())):
        hit = _exists_checked(test, wanted)
        if hit and any(_computed_path(fs, name) for name in hit | loaded):
            return True
    return False


def default_last(a: _Analysis, qual: str, node: ast.Call, targets: list[str] | tuple[str, ...]) -> tuple[str, int] | None:
    """A restore that loads, by default, a fixed newest-checkpoint file of the run folder (a literal, or an
    option's default, joined to a folder: `os.path.join(args.save_dir, "checkpoint_last.pt")`) through a
    restorer that skips the file when it does not exist: a plain restart resumes, a first start starts
    fresh. Where that file is named (file, line), or None; an option whose default is None or empty names none."""
    if not any(_checks_its_path(a, t) for t in targets):
        return None
    scan, fs = a.fscans[qual]
    wanted = _sources(fs, _load_names(node))
    exprs = list(node.args) + [k.value for k in node.keywords] + [v for names, v in fs.assigns if names & wanted]
    for expr in exprs:
        joined = _joins(expr)
        for sub in ast.walk(expr):
            if isinstance(sub, ast.Constant):
                text = sub.value
            elif isinstance(sub, (ast.Name, ast.Attribute)):
                found = a.values.resolve(sub, scan, fs)
                text = found.value if found is not None else None
            else:
                continue
            if isinstance(text, str) and _LAST_FILE.search(text) and (joined or "/" in text):
                return scan.rel, sub.lineno
    return None


def _joins(expr: ast.AST) -> bool:
    return any((isinstance(sub, ast.Call) and dotted(sub.func, {}).split(".")[-1] in ("join", "Path", "joinpath"))
               or (isinstance(sub, ast.BinOp) and isinstance(sub.op, ast.Div)) for sub in ast.walk(expr))


def _checks_its_path(a: _Analysis, qual: str) -> bool:
    """The restorer loads one of its parameters only after checking that it exists
    (`if not os.path.exists(filename): return None`)."""
    if qual not in a.fscans or qual not in a.restorers:
        return False
    _scan, fs = a.fscans[qual]
    params = {arg.arg for arg in fs.node.args.posonlyargs + fs.node.args.args + fs.node.args.kwonlyargs} - {"self", "cls"}
    for i, (_call, load) in enumerate(fs.calls):
        if not a.is_restore(qual, i):
            continue
        wanted = _sources(fs, _load_names(load)) & params
        if wanted and any(_exists_checked(test, wanted) for test in _positive_tests(fs.call_guards.get(id(load), ()))):
            return True
    return False


def caller_exists(a: _Analysis, qual: str, node: ast.Call) -> tuple[str, int] | None:
    """A restore in a helper that its callers call only after checking the path exists, the path an
    attribute the code builds: `if self.snapshot_path.exists(): self._load_snapshot()` with
    `torch.load(self.snapshot_path)` inside and `self.snapshot_path = self.out / "snapshot.pt"`."""
    scan, _fs = a.fscans[qual]
    attrs = {sub.attr for x in list(node.args) + [k.value for k in node.keywords] for sub in ast.walk(x)
             if isinstance(sub, ast.Attribute)} - _GENERAL
    if not attrs:
        return None
    for caller, entries in a.sites.items():
        if caller == qual:
            continue
        cscan, cfs = a.fscans[caller]
        for call, targets, _tags in entries:
            if qual not in targets or call.loop_depth:
                continue
            for test in _positive_tests(cfs.call_guards.get(id(a.nodes[id(call)][0]), ())):
                hit = _exists_checked(test, attrs)
                if hit and any(_computed(v) for attr, v, _ in cscan.attr_assigns + scan.attr_assigns if attr in hit):
                    return cscan.rel, test.lineno
    return None


def callers_behind(a: _Analysis, qual: str) -> str:
    """The option, off by default, that every call of the function `qual` runs behind (`if
    self.resume: self._load_checkpoint()`, `... if resume else None`); "" when a call of it is not,
    or it has none (the entry point itself)."""
    found = ""
    for caller, entries in a.sites.items():
        if caller == qual or caller not in a.ctx:
            continue
        cscan, cfs = a.fscans[caller]
        for call, targets, _tags in entries:
            if qual not in targets:
                continue
            classified = a.classifier.guards(cfs.call_guards.get(id(a.nodes[id(call)][0]), ()), cscan, cfs)
            off = next((g.what for g in classified if g.kind == "flag-off"), "")
            if not off:
                return ""
            found = found or off
    return found


_RESUME_COMMAND = rxcache.compile(r"(?:resume|continue|restore|restart)(?:[_-]\w+)?$")


def command_behind(scan: FileScan, fs: FunctionScan) -> str:
    """The CLI command a user types to ask for a resume (`@app.command() def resume(...)`,
    `@cli.command("continue")`) when `fs` is one: what it restores is asked for, not automatic."""
    node = fs.node
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return ""
    for decorator in node.decorator_list:
        call = decorator if isinstance(decorator, ast.Call) else None
        if dotted(call.func if call else decorator, scan.aliases).split(".")[-1] != "command":
            continue
        named = [k.value for k in call.keywords if k.arg == "name"] + list(call.args[:1]) if call else []
        command = next((n.value for n in named if isinstance(n, ast.Constant) and isinstance(n.value, str)),
                       node.name)
        if _RESUME_COMMAND.match(command.replace("-", "_")):
            return f"the `{command}` command"
    return ""


def helper_guards(a: _Analysis, value: ast.AST, scan: FileScan) -> tuple:
    """The guards inside the helper that returns a discovered checkpoint (`if value == "latest": return
    newest(folder)`), classified in its own scope; the least guarded of its discovering returns."""
    best: tuple | None = None
    for _name, short in calls_in(value, scan.aliases):
        for q in a.by_name.get(short, []):
            if q not in a.returns_discovery:
                continue
            hscan, hfs = a.fscans[q]
            disc = a.taints[q][1]
            for ret, guards in zip(hfs.returns, hfs.return_guards):
                if names_in(ret) & disc or a.has_discovery_call(ret, hscan):
                    classified = a.classifier.guards(guards, hscan, hfs)
                    if best is None or _blocked(classified) < _blocked(best):
                        best = classified
    return best or ()


def _blocked(guards: tuple) -> int:
    return sum(g.kind == "flag-off" for g in guards)


def _computed_path(fs: FunctionScan, name: str) -> bool:
    """`name` is, at least by default, a path the code builds (a string, os.path.join, Path(...) / ...).
    A required parameter only wrapped (`folder = Path(folder)`) is still the caller's choice."""
    values = [v for names, v in fs.assigns if name in names]
    required: set[str] = set()
    args = getattr(fs.node, "args", None)
    if args is not None:
        positional = args.posonlyargs + args.args
        defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
        pairs = list(zip(positional, defaults)) + list(zip(args.kwonlyargs, args.kw_defaults))
        values += [d for a, d in pairs if a.arg == name and d is not None]
        required = {a.arg for a, d in pairs if d is None}
    return any(_computed(value) and not _wraps(value, required) for value in values)


def _wraps(value: ast.AST, required: set[str]) -> bool:
    """`Path(folder)`, `os.fspath(folder)`, `str(folder)`: a required parameter, converted, nothing added."""
    return (isinstance(value, ast.Call) and len(value.args) == 1 and not value.keywords
            and isinstance(value.args[0], ast.Name) and value.args[0].id in required)


def _computed(value: ast.AST) -> bool:
    """An expression that builds a path: a string, os.path.join, Path(...), `folder / "name"`."""
    for sub in ast.walk(value):
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str) and sub.value:
            return True
        if isinstance(sub, ast.Call) and dotted(sub.func, {}).split(".")[-1] in ("join", "Path", "joinpath"):
            return True
        if isinstance(sub, ast.BinOp) and isinstance(sub.op, ast.Div):
            return True
    return False


def enrich(a: _Analysis, qual: str, call: Call, node: ast.Call, from_resume: bool, from_disc: bool) -> ResumeLoad:
    """One restore as a fact, with its user source, what it restores and where its discovery is."""
    scan, fs = a.fscans[qual]
    disc = a.taints[qual][1]
    arg_names = set().union(*(_names_and_keys(x) for x in list(node.args) + [k.value for k in node.keywords]))
    guard_names = set().union(*(_names_and_keys(g.test) for g in fs.call_guards.get(id(node), ())))
    # the names a user sets that reach the restore: options, config fields, the entry script's settings,
    # and names that read like a resume path; not every name a resume value passed through
    sources = sorted(((arg_names | guard_names) & user_names(a, scan) | (arg_names | guard_names) & a.resume_names)
                     - {"self", "args", "cfg", "config"}, key=lambda n: (not RESUME_NAME.match(n), n))
    sources = [n for n in sources if RESUME_NAME.match(n)] or sources
    state, detail = restores_state(a, qual, call)
    site, guards, found_in = (("", 0), (), None)
    if from_disc:
        site, guards, found_in = discovery_site(a, scan, fs, node, disc)
        targets = next((t for c, t, _ in a.sites.get(qual, []) if c is call), ())
        site = site if site[0] else caller_exists(a, qual, node) or default_last(a, qual, node, targets) or site
    behind, enabled = "", ("", 0, "")
    if from_disc:  # an explicit resume is behind its option by design; a discovery must not be
        classified = a.classifier.guards(tuple(guards) + fs.call_guards.get(id(node), ()), scan, fs)
        if found_in is not None:  # and the guards inside a helper that returns what it found
            classified += helper_guards(a, found_in, scan)
        behind = next((g.what for g in classified if g.kind == "flag-off"), "") or callers_behind(a, qual) \
            or command_behind(scan, fs)
        on = next((g for g in classified if g.kind == "flag-on" and g.interval), None)
        enabled = (on.interval[1].file, on.interval[1].line, on.what) if on is not None else enabled
    reachable = qual in a.ctx and trains_after(a, qual, call)  # a restore to evaluate or export resumes nothing
    return ResumeLoad(call, from_resume, from_disc, reachable, LOAD in a.direct(call, scan, fs),
                      user_source=", ".join(sources[:3]), restores_state=state, state_detail=detail,
                      discovered_at=site, behind=behind, enabled_by=enabled)


def _names_and_keys(node: ast.AST) -> set[str]:
    """Names in an expression and the string keys it reads (`config["resume_from"]` names resume_from)."""
    keys = {sub.slice.value for sub in ast.walk(node) if isinstance(sub, ast.Subscript)
            and isinstance(sub.slice, ast.Constant) and isinstance(sub.slice.value, str)}
    return set(names_in(node)) | keys


def calls_discovery(value: ast.AST, scan: FileScan, names: set[str]) -> bool:
    return any(short in names for _, short in calls_in(value, scan.aliases))


def trains_after(a: _Analysis, qual: str, call: Call) -> bool:
    """Whether training runs after the restore `call` in `qual`: `qual` trains itself, or a function that
    leads to it (a few callers up) calls into training after it, on the same path (not in the other
    branch of an `if`: `python train.py evaluate` restores to score, and trains nothing). True when no
    step of training is seen at all (a framework's fit), or a path up is lost (a function nothing is
    seen calling): there is nothing to tell the paths apart by."""
    training = _training(a)
    if not training or qual in training:
        return True
    callers = _callers(a)
    frontier, seen = [qual], {qual}
    for _ in range(4):
        nxt = []
        for f in frontier:
            if f.endswith(".__init__") and any(t.startswith(f.removesuffix("__init__")) for t in training):
                return True  # the object is built restored, then trained by a method of its own (`Trainer(...).train()`)
            if not callers.get(f) and not f.endswith(("::<main>", "::<module>")) and f not in _fire_commands(a):
                return True  # called in a way not followed (a method of an object, a framework's hook): undecided
            for caller, site in callers.get(f, ()):
                if caller in a.ctx and _trains_later(a, caller, site):
                    return True
                if caller not in seen:
                    seen.add(caller)
                    nxt.append(caller)
        frontier = nxt
    return False


def _training(a: _Analysis) -> set[str]:
    """The reachable functions that take a training step, themselves or through what they call (once per analysis)."""
    if getattr(a, "_training", None) is None:
        a._training = {q for q in a.ctx if STEP in a.effects.get(q, {})}
    return a._training


def _callers(a: _Analysis) -> dict[str, list[tuple[str, Call]]]:
    if getattr(a, "_callers", None) is None:
        index: dict[str, list[tuple[str, Call]]] = {}
        for qual, entries in a.sites.items():
            for c, targets, _tags in entries:
                for t in targets:
                    index.setdefault(t, []).append((qual, c))
        a._callers = index
    return a._callers


_TRAINS_BY_NAME = {"train", "fit", "run", "train_model", "training_loop", "learn"}


def _trains_later(a: _Analysis, qual: str, site: Call) -> bool:
    """A call of `qual` after `site` that reaches training, not in the other branch of an `if` around `site`."""
    _scan, fs = a.fscans[qual]
    here = {id(g.test): g.negated for g in fs.call_guards.get(id(a.nodes[id(site)][0]), ())}
    for c, targets, tags in a.sites.get(qual, []):
        trains = STEP in tags or any(STEP in a.effects.get(t, {}) for t in targets) or (
            not targets and c.short in _TRAINS_BY_NAME)  # `recipe.train()`: a method not followed (model.train() is torch's)
        if c is site or c.line < site.line or not trains:
            continue
        if not any(here.get(id(g.test), g.negated) != g.negated for g in fs.call_guards.get(id(a.nodes[id(c)][0]), ())):
            return True
    return False


def fire_target(call: Call, node: ast.Call) -> str:
    """The name python-fire makes a command line of in this call (`fire.Fire(Trainer)`: Trainer), else ""."""
    return dotted(node.args[0], {}).split(".")[-1] if call.name == "fire.Fire" and node.args else ""


def _fire_commands(a: _Analysis) -> set[str]:
    """The functions python-fire makes commands (`fire.Fire(Trainer)`: Trainer's methods), each a start of its own."""
    if getattr(a, "_fired", None) is None:
        named = {fire_target(call, node) for _scan, fs in a.fscans.values() for call, node in fs.calls} - {""}
        a._fired = {q for q in a.fscans if q.split("::", 1)[1] in named
                    or q.split("::", 1)[1].split(".")[0] in named}
    return a._fired


# a function that reads where the newest checkpoint is from a pointer file the saves rewrite: `read_latest(root)`
_POINTER_NAME = rxcache.compile(r"(?:^|_)(?:latest|newest)(?:_|$)")
_READS = {"read", "read_text", "readline", "readlines", "open"}


def pointer_readers(fscans: dict) -> set[str]:
    """Names of the project's functions named for the newest checkpoint that read a file and return what they found."""
    return {fs.name for _scan, fs in fscans.values() if fs.node is not None and _POINTER_NAME.search(fs.name)
            and fs.returns and any(call.short in _READS for call, _node in fs.calls)}
