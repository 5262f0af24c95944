"""OpenMMLab's mmengine `Runner`, configured by Python config files read as data, as code facts.

An OpenMMLab project trains with `runner = Runner.from_cfg(cfg)` (or `RUNNERS.build(cfg)`, or
`Runner(...)` given the settings as keywords) and `runner.train()`: the loop is mmengine's, and
what it does at each iteration is in the config's hooks (auditor.evidence.code.mmconfig reads
the config files with their `_base_` merge, never executing them):

- `default_hooks.checkpoint`, a `CheckpointHook`: its `after_train_iter` (`by_epoch=False`) or
  `after_train_epoch` (`by_epoch=True`, its default) saves every `interval` iterations or epochs;
  the hook's own default `interval=-1` never saves, and a config without the key gets the
  Runner's default `CheckpointHook(interval=1)`, a save every epoch; `checkpoint=None` removes it.
- `default_hooks.logger`, a `LoggerHook`: a log line every `interval` iterations (10 by default,
  and the Runner registers one when the config names none).
- `custom_hooks` (and default hooks of the project's own classes): the named classes' iteration
  hooks (`before/after_train_iter`) run in the per-batch loop, their epoch hooks in the epoch
  loop, with their own guards (an `IterBasedTrainLoop` runs the whole training as one epoch: its
  epoch hooks, and an epoch CheckpointHook's save, run once, at the end); mmengine's `self.every_n_train_iters(runner, n)` (and the like) is
  a period. A hook class no config names never runs.

The config is that of a config file no other config inherits (outside `_base_` folders): the
first, in path order, with a periodic checkpoint, else the first. Only a project that imports
mmengine is read this way.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from auditor import rxcache
from auditor.evidence.code.facts import LOG, SAVE, Call, CodeEvidence, Effect, Guard, Interval, LoopCall, ResumeLoad
from auditor.evidence.code.fwcommon import Site, config_call, imports, package, sites
from auditor.evidence.code.mmconfig import UNKNOWN, Configs, Value, literal
from auditor.evidence.code.syntax import names_in

if TYPE_CHECKING:
    from auditor.evidence.code.flow import _Analysis
    from auditor.evidence.code.scan import FileScan, FunctionScan

MMENGINE = ("mmengine",)
VIA = ("mmengine Runner",)
BATCH_HOOKS = ("before_train_iter", "after_train_iter")
EPOCH_HOOKS = ("before_train_epoch", "after_train_epoch")
LIBRARY_HOOKS = frozenset({"CheckpointHook", "LoggerHook", "IterTimerHook", "ParamSchedulerHook", "DistSamplerSeedHook",
                           "RuntimeInfoHook", "EMAHook", "EmptyCacheHook", "SyncBuffersHook", "ProfilerHook",
                           "NaiveVisualizationHook", "EarlyStoppingHook", "PrepareTTAHook"})
# mmengine Hook's period helpers: `if self.every_n_train_iters(runner, self.interval):`
_PERIODS = rxcache.compile(r"\bevery_n_(?:train_|inner_)?(iters|epochs)\s*\(")
_RUNNER_DEFAULTS = {"checkpoint": {"type": "CheckpointHook", "interval": 1}, "logger": {"type": "LoggerHook"}}


@dataclass(frozen=True)
class Entry:
    """Where the Runner is made and trained, and the settings it is made with."""

    runner: Site
    train: Site
    config: dict[str, Value]
    config_file: str  # the config file the settings come from ("" for keywords of `Runner(...)`)
    known: bool = True  # False: the settings could not be read (a config built in code, `Runner(**kwargs)`)


def add(ev: CodeEvidence, scans: list[FileScan], analysis: _Analysis) -> None:
    ours = [s for s in scans if imports(s, MMENGINE)]
    if not ours:
        return
    configs = Configs(ev.root, {s.rel: s.text for s in scans})
    entry = next((e for e in _entries(ours, configs) if _reachable(ev, e.train.call)), None)
    if entry is None:
        return
    if entry.known:
        _hook_facts(ev, entry, scans, analysis)
    _resumes(ev, entry)
    _unbuilt_hook_threads(ev, scans, configs, entry)
    ev.errors = ev.errors + tuple(configs.errors)


def _hook_facts(ev: CodeEvidence, entry: Entry, scans: list[FileScan], analysis: _Analysis) -> None:
    """The saves, logs and project hooks mmengine's loop runs by the settings."""
    loop_calls: list[LoopCall] = []
    save = _checkpoint(entry)
    if save is not None:
        loop_calls.append(save[0])
        ev.save_intervals = ev.save_intervals + (save[1],)
        ev.intervals = ev.intervals + (save[1],)
    logger = _logger(entry)
    loop_calls += [logger] if logger is not None else []
    loop_calls += _project_hooks(entry, scans, analysis)
    ev.loop_calls = ev.loop_calls + tuple(loop_calls)


def _reachable(ev: CodeEvidence, call: Call) -> bool:
    return call.function in ("<module>", "<main>") or f"{call.file}::{call.function}" in ev.reachable


# --------------------------------------------------------------------------- the Runner and its config


def _makes_runner(s: Site) -> bool:
    if package(s.call) not in MMENGINE:
        return False
    return s.call.short in ("from_cfg", "Runner") or (s.call.short == "build" and "RUNNERS" in s.call.name)


def _entries(ours: list[FileScan], configs: Configs) -> list[Entry]:
    """`runner.train()` on a name bound to a Runner the file makes (or `Runner.from_cfg(cfg).train()`)."""
    out: list[Entry] = []
    for scan in ours:
        every = list(sites(scan))
        made: dict[str, Site] = {}
        for s in every:
            if _makes_runner(s):
                made.update({name: s for names, value in s.function.assigns if value is s.node for name in names})
        for s in every:
            if s.call.short != "train" or not isinstance(s.node.func, ast.Attribute):
                continue
            receiver = s.node.func.value
            runner = next((made[n] for n in sorted(names_in(receiver)) if n in made), None)
            if runner is None and isinstance(receiver, ast.Call):
                runner = next((x for x in every if x.node is receiver and _makes_runner(x)), None)
            if runner is not None:
                config, file, known = _settings(runner, configs)
                out.append(Entry(runner, s, config, file, known))
    return out


def _settings(runner: Site, configs: Configs) -> tuple[dict[str, Value], str, bool]:
    """The keywords of `Runner(...)` (names bound earlier in its function followed), or the config file a
    `from_cfg` / `RUNNERS.build` / `Runner(**cfg)` is given; (settings, their file, whether they were read)."""
    node = runner.node
    if runner.call.short == "Runner" and any(k.arg for k in node.keywords):
        env: dict[str, Value] = {}
        for names, value in runner.function.assigns:
            if len(names) == 1 and getattr(value, "lineno", node.lineno) < node.lineno:
                env[next(iter(names))] = literal(value, runner.scan.rel, runner.scan.text, env)
        known = not any(k.arg is None for k in node.keywords)
        return {k.arg: literal(k.value, runner.scan.rel, runner.scan.text, env) for k in node.keywords
                if k.arg}, "", known
    merged = [(rel, configs.merged(rel)) for rel in configs.leaves()]
    chosen = next(((rel, cfg) for rel, cfg in merged if _saves(_hook(cfg, "checkpoint"))), None)
    if chosen is None and merged:
        chosen = merged[0]
    return (chosen[1], chosen[0], True) if chosen else ({}, "", False)


def _hook(cfg: dict[str, Value], name: str) -> Value | None:
    """A default hook's settings: the config's, or the Runner's own default when the config has none;
    None when the config removes it (`checkpoint=None`)."""
    hooks = cfg.get("default_hooks")
    if hooks is not None and not isinstance(hooks.value, dict):
        return None  # made where this reading cannot follow: nothing is claimed, not even mmengine's defaults
    given = hooks.get(name) if hooks is not None else None
    if given is None:
        default = _RUNNER_DEFAULTS.get(name)
        return None if default is None else Value({k: Value(v, "", 0) for k, v in default.items()}, "", 0)
    return given if isinstance(given.value, dict) else None


def _saves(hook: Value | None) -> bool:
    if hook is None or hook.plain("type", "CheckpointHook") != "CheckpointHook":
        return False
    interval = hook.get("interval")
    return interval is not None and (interval.value is UNKNOWN or (_positive(interval.value)))


def _positive(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0


def _iteration_loop(cfg: dict[str, Value]) -> Value | None:
    """The train_cfg that makes an IterBasedTrainLoop (`type='IterBasedTrainLoop'`, or `by_epoch=False`), which
    runs the whole training as one big epoch: its epoch hooks run once, at the start and the end."""
    train_cfg = cfg.get("train_cfg")
    if train_cfg is None or not isinstance(train_cfg.value, dict):
        return None
    kind = train_cfg.plain("type")
    if kind == "IterBasedTrainLoop" or (kind is None and train_cfg.plain("by_epoch") is False):
        return train_cfg
    return None


def _at(value: Value, entry: Entry) -> tuple[str, int]:
    """Where a setting is made: its config line, or the Runner's construction for a default of mmengine's."""
    return (value.file, value.line) if value.file else (entry.runner.call.file, entry.runner.call.line)


# --------------------------------------------------------------------------- checkpoints and logs


def _checkpoint(entry: Entry) -> tuple[LoopCall, Interval] | None:
    """The CheckpointHook's periodic save in mmengine's loop, and its interval."""
    hook = _hook(entry.config, "checkpoint")
    if not _saves(hook):
        return None
    interval, by_epoch = hook.get("interval"), hook.get("by_epoch")
    per_epoch = by_epoch is None or by_epoch.value is not False
    if per_epoch and _iteration_loop(entry.config) is not None:
        return None  # after_train_epoch of an IterBasedTrainLoop: one save, at the end of training
    unit, counted = ("epochs", "epochs") if per_epoch else ("steps", "iterations")
    file, line = _at(interval, entry)
    number = None if interval.value is UNKNOWN else float(interval.value)
    shown = interval.text if number is None else f"{number:g}"
    epoch_where = f"by_epoch={per_epoch}" + (f" at {by_epoch.file}:{by_epoch.line}" if by_epoch and by_epoch.file
                                             else " (CheckpointHook's default)")
    default = "" if interval.file else "not given: mmengine's Runner registers CheckpointHook(interval=1); "
    site = config_call(file, line, "CheckpointHook", f"checkpoint=dict(type='CheckpointHook', interval={shown}, "
                                                      f"by_epoch={per_epoch})")
    where = f"{by_epoch.file}:{by_epoch.line} CheckpointHook(by_epoch={per_epoch})" if by_epoch and by_epoch.file else \
        "CheckpointHook"
    reason = f"{default}mmengine's CheckpointHook saves every interval {counted} ({epoch_where})"
    result = Interval("interval", shown, number, unit if number is not None else "unknown", None, file, line, where,
                      reason)
    guard = Guard(site.text, f"period-{unit}", f"every {shown} {counted} (CheckpointHook)", file, line)
    steps = not per_epoch
    loop = LoopCall(entry.train.call, depth=2 if steps else 1, batch_loop=steps,
                    effects=(Effect(SAVE, site, VIA, (guard,)),))
    return loop, result


def _logger(entry: Entry) -> LoopCall | None:
    """The LoggerHook's line every `interval` iterations (10 by default), from after_train_iter."""
    hook = _hook(entry.config, "logger")
    if hook is None or hook.plain("type", "LoggerHook") != "LoggerHook":
        return None
    interval = hook.get("interval") or Value(10, "", 0)
    if interval.value is not UNKNOWN and not _positive(interval.value):
        return None
    file, line = _at(interval if interval.file else hook, entry)
    shown = interval.text if interval.value is UNKNOWN else f"{interval.value:g}"
    default = "" if interval.file else " (LoggerHook's default)"
    site = config_call(file, line, "LoggerHook", f"logger=dict(type='LoggerHook', interval={shown}){default}")
    guard = Guard(site.text, "period-steps", f"every {shown} iterations (LoggerHook)", file, line)
    return LoopCall(entry.train.call, depth=2, batch_loop=True, effects=(Effect(LOG, site, VIA, (guard,)),))


# --------------------------------------------------------------------------- the project's own hooks


def _named_hooks(cfg: dict[str, Value]) -> list[tuple[str, Value]]:
    """The hook classes the config names that are not mmengine's: custom_hooks, and default hooks of the
    project's own classes; with the config entry naming each."""
    entries: list[Value] = []
    custom = cfg.get("custom_hooks")
    if custom is not None and isinstance(custom.value, list):
        entries += custom.value
    defaults = cfg.get("default_hooks")
    if defaults is not None and isinstance(defaults.value, dict):
        entries += list(defaults.value.values())
    out = []
    for entry in entries:
        kind = entry.plain("type") if isinstance(entry.value, dict) else None
        if isinstance(kind, str) and kind.split(".")[-1] not in LIBRARY_HOOKS:
            out.append((kind.split(".")[-1], entry))
    return out


def _project_hooks(entry: Entry, scans: list[FileScan], a: _Analysis) -> list[LoopCall]:
    """Calls in the iteration and epoch hooks of the project's hook classes the config names."""
    classes = {cls: (scan, bases) for scan in scans for cls, (bases, _line) in scan.classes.items()}
    out: list[LoopCall] = []
    hooks = BATCH_HOOKS if _iteration_loop(entry.config) is not None else BATCH_HOOKS + EPOCH_HOOKS
    for cls, named in _named_hooks(entry.config):
        if cls not in classes:
            continue
        for hook in hooks:
            owner = _owner(cls, hook, classes, a)
            if owner is None:
                continue
            via = (*VIA, f"{cls}.{hook} (named at {named.file}:{named.line})")
            for call, targets, tags in a.sites.get(owner, []):
                effects = tuple(Effect(e.tag, e.site, (*via, *e.via), tuple(_period(g) for g in e.guards))
                                for e in a.call_effects(call, targets, tags, in_loop_only=False))
                if effects:
                    batch = hook in BATCH_HOOKS
                    out.append(LoopCall(call, depth=2 if batch else 1, batch_loop=batch, effects=effects))
    return out


def _unbuilt_hook_threads(ev: CodeEvidence, scans: list[FileScan], configs: Configs, entry: Entry) -> None:
    """A thread started from a method of a hook class of the project that no config names (and no code
    creates) never starts: mmengine builds only the hooks its config lists."""
    hooks = _hook_classes(scans)
    named = {cls for cls, _ in _named_hooks(entry.config)}
    named |= {cls for rel in configs.leaves() for cls, _ in _named_hooks(configs.merged(rel))}
    created = {c.short for scan in scans for fs in scan.scopes() for c, _ in fs.calls}
    unbuilt = set(hooks) - named - created
    if not unbuilt:
        return
    by_file = {scan.rel: scan for scan in scans}
    threads = []
    for t in ev.threads:
        owner = _class_at(by_file.get(t.start_file or t.file), t.start_line or t.line)
        threads.append(replace(t, reachable=False) if t.reachable and owner in unbuilt else t)
    ev.threads = tuple(threads)


def _hook_classes(scans: list[FileScan]) -> set[str]:
    """The project's subclasses of mmengine's Hook (directly, or through another of them)."""
    found: set[str] = set()
    changed = True
    while changed:
        changed = False
        for scan in scans:
            for cls, (bases, _line) in scan.classes.items():
                if cls not in found and any((b.split(".")[0] in MMENGINE and b.endswith("Hook"))
                                            or b.split(".")[-1] in found for b in bases):
                    found.add(cls)
                    changed = True
    return found


def _class_at(scan: FileScan | None, line: int) -> str | None:
    """The class of the innermost function of `scan` holding `line`."""
    if scan is None:
        return None
    around = [fs for fs in scan.functions if fs.node is not None
              and fs.node.lineno <= line <= (fs.node.end_lineno or fs.node.lineno)]
    return max(around, key=lambda fs: fs.node.lineno).class_name if around else None


def _owner(cls: str, hook: str, classes: dict[str, tuple[FileScan, tuple[str, ...]]], a: _Analysis) -> str | None:
    """The qualname of the method `hook` a project class has, itself or through project base classes."""
    seen: set[str] = set()
    todo = [cls]
    while todo:
        name = todo.pop(0)
        if name in seen or name not in classes:
            continue
        seen.add(name)
        scan, bases = classes[name]
        qual = f"{scan.rel}::{name}.{hook}"
        if qual in a.sites:
            return qual
        todo += [b.split(".")[-1] for b in bases]
    return None


def _period(guard: Guard) -> Guard:
    """mmengine's Hook helpers `every_n_train_iters(runner, n)` / `every_n_epochs(runner, n)` test a period."""
    found = _PERIODS.search(guard.text)
    if found is None or guard.kind != "condition" or guard.text.startswith("not ("):
        return guard
    unit = "epochs" if found.group(1) == "epochs" else "steps"
    return Guard(guard.text, f"period-{unit}", f"every n {'epochs' if unit == 'epochs' else 'iterations'} "
                                              f"(`{guard.text}`)", guard.file, guard.line)


# --------------------------------------------------------------------------- resume


@dataclass(frozen=True)
class _Set:
    """`cfg.resume = ...` / `cfg.load_from = ...` (or `cfg['resume'] = ...`) on the config the Runner gets,
    with the `if` tests it runs under (innermost last) and the line of the innermost."""

    key: str
    value: ast.AST
    line: int
    guards: tuple[str, ...]
    guard_line: int
    function: str  # the qualname of the function assigning it


def _sets(entry: Entry) -> list[_Set]:
    """The assignments of `resume` and `load_from` to the config object in the function making the Runner,
    and in the helpers of its file it hands the config to (`cfg = merge_args(cfg, args)`)."""
    scan, fs = entry.runner.scan, entry.runner.function
    args = entry.runner.node.args
    names = set(names_in(args[0])) if args and entry.runner.call.short != "Runner" else set()
    out = _sets_in(scan, fs, names)
    for call, node in fs.calls if names else ():
        given = [i for i, a in enumerate(node.args) if isinstance(a, ast.Name) and a.id in names]
        helper = next((f for f in scan.functions if f.name == call.short and f is not fs and f.node is not None
                       and f.class_name is None), None) if given else None
        if helper is not None:
            params = [a.arg for a in helper.node.args.posonlyargs + helper.node.args.args]
            out += _sets_in(scan, helper, {params[i] for i in given if i < len(params)})
    return sorted(out, key=lambda s: s.line)


def _sets_in(scan: FileScan, fs: FunctionScan, names: set[str]) -> list[_Set]:
    body = getattr(fs.node, "body", None)
    if not names or body is None:
        return []
    out: list[_Set] = []
    todo: list[tuple[list[ast.stmt], tuple[str, ...], int]] = [(body, (), 0)]
    while todo:
        stmts, guards, guard_line = todo.pop()
        for stmt in stmts:
            if isinstance(stmt, ast.If):
                test = scan.seg(stmt.test)
                todo.append((stmt.body, (*guards, test), stmt.lineno))
                todo.append((stmt.orelse, (*guards, f"not ({test})"), stmt.lineno))
            elif isinstance(stmt, ast.Assign):
                out += [_Set(key, stmt.value, stmt.lineno, guards, guard_line, fs.qualname) for target in stmt.targets
                        if (key := _config_key(target, names))]
    return out


def _config_key(target: ast.AST, names: set[str]) -> str:
    if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id in names:
        key = target.attr
    elif isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name) and target.value.id in names \
            and isinstance(target.slice, ast.Constant):
        key = target.slice.value
    else:
        return ""
    return key if key in ("resume", "load_from") else ""


def _constant(node: ast.AST, *values: object) -> bool:
    return isinstance(node, ast.Constant) and any(node.value is v for v in values)


STATE = "mmengine's Runner.train() resumes model, optimizer, parameter schedulers and iteration (load_or_resume)"


def _resumes(ev: CodeEvidence, entry: Entry) -> None:
    """What `runner.train()` restores, by the resume / load_from the code sets or the config holds."""
    scan = entry.runner.scan
    reachable = _reachable(ev, entry.train.call)
    sets = _sets(entry)
    state = f"{entry.train.call.file}:{entry.train.call.line} {STATE}"
    loads = []
    for s in (s for s in sets if s.key == "resume" and not _constant(s.value, False, None)):
        load_from = next((o for o in sets if o.key == "load_from" and o.guards == s.guards), None)
        behind = " and ".join(s.guards) or ("" if _constant(s.value, True) else scan.seg(s.value))
        behind += _off_by_default(entry) if behind else ""
        call = _call(scan, s.function, (load_from or s).line, s.guards)
        if load_from is not None and not _constant(load_from.value, None):
            loads.append(ResumeLoad(call, from_resume=True, from_discovery=False, reachable=reachable,
                                    user_source=scan.seg(load_from.value), restores_state=True, state_detail=state))
        elif load_from is not None or _empty(entry.config.get("load_from")):
            loads.append(ResumeLoad(call, from_resume=bool(behind), from_discovery=True, reachable=reachable,
                                    restores_state=True, state_detail=state, behind=behind,
                                    discovered_at=(scan.rel, s.guard_line or s.line)))
    if not any(s.key == "resume" and not s.guards for s in sets):
        loads += _config_resume(entry, reachable, state)
    loads.sort(key=lambda r: not r.user_source)  # a path the user gives before the newest checkpoint found
    ev.resume_loads = ev.resume_loads + tuple(loads)


def _off_by_default(entry: Entry) -> str:
    """The config's own `resume = False` (or mmengine's default), shown with the option the resume runs behind."""
    resume = entry.config.get("resume")
    if resume is None or not resume.file:
        return " (resume is False by default in mmengine's Runner)"
    return f" (resume = {resume.value!r} at {resume.file}:{resume.line})" if resume.value is not True else ""


def _empty(value: Value | None) -> bool:
    return value is None or value.value is None


def _config_resume(entry: Entry, reachable: bool, state: str) -> list[ResumeLoad]:
    """`resume = True` in the config itself: the newest checkpoint (load_from None) or load_from's path."""
    resume, load_from = entry.config.get("resume"), entry.config.get("load_from")
    if resume is None or resume.value is not True:
        return []
    call = config_call(resume.file or entry.runner.call.file, resume.line or entry.runner.call.line, "resume",
                       "resume = True")
    if _empty(load_from):
        return [ResumeLoad(call, from_resume=False, from_discovery=True, reachable=reachable, restores_state=True,
                           state_detail=state, discovered_at=(call.file, call.line),
                           enabled_by=(call.file, call.line, "resume = True with load_from = None in the config"))]
    return [ResumeLoad(call, from_resume=True, from_discovery=False, reachable=reachable, restores_state=True,
                       user_source="load_from", state_detail=state)]


def _call(scan: FileScan, function: str, line: int, guards: tuple[str, ...]) -> Call:
    text = scan.lines[line - 1].strip() if 0 < line <= len(scan.lines) else ""
    return Call(file=scan.rel, line=line, function=function, name="mmengine.runner.Runner.train", short="train",
                loop_depth=0, batch_loop=False, kwargs=(), n_args=0, text=text, guards=guards)
