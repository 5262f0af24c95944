"""The whole-program analysis over the per-file scans: what each call site does (save, load,
log, progress, heartbeat, discovery), what each function reaches through the functions it
calls, where a resume argument and a discovered checkpoint flow, which code is reachable from
the entry point and at what loop depth, thread starts, and the `__main__` / CLI wiring.

Calls are resolved by name among the scanned files (aliases, methods on `self`, nested
functions), so a loop calling `self.checkpointer.maybe_save()` counts as saving when
`maybe_save` calls `save`.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Sequence
from pathlib import Path

from auditor import rxcache
from auditor.config import ProjectConfig
from auditor.evidence.code.facts import (AUTORESUME, DISCOVERY, HEARTBEAT, LOAD, LOG, PROGRESS, SAVE, STEP, Call,
                                         CodeEvidence, Effect, Function, Guard, Loop, LoopCall, MainCall, Param)
from auditor.evidence.code.configfiles import Node
from auditor.evidence.code.effects import call_tags, liveness_progress, status_record
from auditor.evidence.code.fixpoint import Site, offer, pass_up, until_stable
from auditor.evidence.code.guards import Classifier
from auditor.evidence.code.hooks import add_dispatched_targets, unbuilt_plugins
from auditor.evidence.code.scan import THREAD_CLASSES, FileScan, FunctionScan
from auditor.entrypoints import module_of
from auditor.evidence.code.scripts import standalone_scripts
from auditor.evidence.code.syntax import calls_in, dotted, names_in, option_name
from auditor.evidence.code.resumes import (caller_exists, default_last, enrich, exists_discovery, fire_target,
                                          pointer_readers, resume_names, trains_after)
from auditor.evidence.code.threads import is_process, thread_class_runs, thread_starts, thread_target_quals
from auditor.evidence.code.values import Values

_TAGS = (SAVE, LOAD, LOG, PROGRESS, HEARTBEAT, DISCOVERY, AUTORESUME, STEP)
# framework calls that find the newest checkpoint themselves: transformers' get_last_checkpoint, Orbax's latest_step,
# TensorFlow's tf.train.latest_checkpoint
_FRAMEWORK_DISCOVERY = {"get_last_checkpoint", "latest_step", "latest_checkpoint"}
_MODULE_MODES = {"train", "eval"}
_BUILTIN_MAKERS = {"open", "dict", "list", "set", "tuple", "str", "bytes", "int", "float", "iter", "enumerate",
                   "zip", "range", "sorted", "reversed", "map", "filter", "frozenset", "bytearray", "object"}

Scope = tuple[FileScan, FunctionScan]


def analyse(ev: CodeEvidence, scans: tuple[FileScan, ...], config: ProjectConfig,
            site_tags: dict[int, set[str]] | None = None, settings: Sequence[Node] = ()) -> "_Analysis":
    """Fill `ev` with every fact the whole-program analysis derives from `scans`.

    `site_tags`: effects framework adapters know a call has (id of its node -> tags), e.g.
    Accelerate's `accelerator.save_state()` saves and Orbax's `manager.restore()` loads.
    `settings`: the mappings of the configuration files the code reads (`cfg["save_every_s"]`).
    """
    analysis = _Analysis(ev, scans, config, site_tags or {}, settings)
    analysis.run()
    return analysis


def _find_functions(by_name: dict[str, list[str]], fscans: dict[str, Scope], short: str, scan: FileScan,
                    fs: FunctionScan) -> list[Scope]:
    """The scanned functions a call by this short name may reach (for predicates in guards)."""
    own = [q for q in by_name.get(short, []) if q.startswith(f"{scan.rel}::")]
    return [fscans[q] for q in (own or by_name.get(short, []))[:4]]


class _Analysis:
    """One analysis of one project's scans; each step fills some of `ev` and the state later steps use."""

    def __init__(self, ev: CodeEvidence, scans: tuple[FileScan, ...], config: ProjectConfig,
                 site_tags: dict[int, set[str]], settings: Sequence[Node] = ()) -> None:
        self.ev, self.scans, self.config, self.site_tags = ev, scans, config, site_tags
        self.entry_file, _, self.entry_func = config.entry_point.partition(":")
        self.save, self.load = set(config.checkpoint_save_functions), set(config.checkpoint_load_functions)
        self.discovery = set(config.checkpoint_discovery_functions) | _FRAMEWORK_DISCOVERY
        self.fscans: dict[str, Scope] = {}
        self.by_name: dict[str, list[str]] = {}
        for scan in scans:
            for fs in scan.scopes():
                qual = f"{scan.rel}::{fs.qualname}"
                self.fscans[qual] = (scan, fs)
                if fs.node is not None:
                    self.by_name.setdefault(fs.name, []).append(qual)
        # a logger's debug() lines reach a log only where the project turns DEBUG on (logging's default: WARNING)
        self.debug_on = any(("DEBUG" in s.text or "evel" in s.text) and _DEBUG_LEVEL.search(s.text) for s in scans)
        self.discovery |= pointer_readers(self.fscans)  # `read_latest(root)`: the newest, as a pointer file names it
        # the top-level names the scanned code is imported by: `pulsefit` of src/pulsefit/ too
        self.scanned_tops = {Path(s.rel).parts[0].removesuffix(".py") for s in scans} | {
            module_of(s.rel).split(".")[0] for s in scans if s.rel.endswith(".py")}
        self.sites: dict[str, list[Site]] = {}
        self.returns_discovery: set[str] = set()
        self.taints: dict[str, tuple[set[str], set[str]]] = {}
        self.restorers: set[str] = set()
        self.loads: dict[str, list[tuple[Call, bool, bool]]] = {}
        self.effects: dict[str, dict[str, Effect]] = {q: {} for q in self.fscans}
        self.ctx: dict[str, int] = {}
        self.thread_targets: dict[str, list[str]] = {}
        self.thread_runs: set[str] = set()
        self.values = Values(scans, settings)
        # a finder that holds the tables, not the analysis: a bound method here would make a
        # cycle that keeps every syntax tree of the scan alive until the garbage collector runs
        self.classifier = Classifier(self.values, functools.partial(_find_functions, self.by_name, self.fscans))
        self.resume_names = resume_names(self)
        self.nodes: dict[int, tuple[ast.Call, str]] = {}  # id(call) -> (its node, its function's qualname)
        self._guards: dict[tuple[int, bool], tuple[Guard, ...]] = {}
        self.dead_classes: set[str] | None = None  # hooks.unbuilt_plugins, once asked

    def run(self) -> None:
        self.ev.functions = {qual: _function(scan, fs, qual) for qual, (scan, fs) in self.fscans.items()}
        for qual, (_scan, fs) in self.fscans.items():
            for c, node in fs.calls:
                self.nodes[id(c)] = (node, qual)
        self.sites = {qual: [(c, [t for t in self.resolve(c, scan, fs) if t != qual], self.direct(c, scan, fs))
                             for c, _ in fs.calls] for qual, (scan, fs) in self.fscans.items()}
        add_dispatched_targets(self)
        self.find_discovery_flow()
        self.find_restorers()
        self.find_loads()
        self.propagate_effects()
        self.find_reachable()
        self.ev.loop_calls = tuple(self.loop_calls())
        self.ev.threads = tuple(thread_starts(self))
        main_calls = self.main_and_cli()
        self.ev.resume_loads = tuple(sorted(
            (enrich(self, q, c, self.nodes[id(c)][0], r, d) for q, items in self.loads.items() for c, r, d in items),
            key=lambda x: not x.direct))
        self.ev.auto_resume = tuple(dict.fromkeys(self.auto_resume(main_calls)))

    # ------------------------------------------------------------------ call sites

    def guards_of(self, call: Call, in_loop_only: bool = False) -> tuple[Guard, ...]:
        """The classified `if` tests around a call (only those inside its loops when asked)."""
        key = (id(call), in_loop_only)
        if key not in self._guards:
            node, qual = self.nodes[id(call)]
            scan, fs = self.fscans[qual]
            self._guards[key] = self.classifier.guards(fs.call_guards.get(id(node), ()), scan, fs, in_loop_only)
        return self._guards[key]

    def resolve(self, call: Call, scan: FileScan, fs: FunctionScan) -> list[str]:
        """Functions defined in the scanned files that a call may reach (by name)."""
        if call.short in fs.nested:
            return [f"{scan.rel}::{fs.nested[call.short]}"]
        candidates = self.by_name.get(call.short, [])
        if call.name.startswith("self.") and call.name.count(".") == 1 and fs.class_name:
            own = [q for q in candidates if q.startswith(f"{scan.rel}::{fs.class_name}.")]
            if own:
                return own
        if "." not in call.name:
            local = [q for q in candidates if q.startswith(f"{scan.rel}::")]
            if local:
                return local
            target = scan.aliases.get(call.short, call.name)
            tail = target.split(".")[-1]
            return self.by_name.get(tail, candidates)
        if _external_receiver(call.name.split(".")[0], scan, fs, self.scanned_tops):
            return []
        if call.short in _MODULE_MODES and call.n_args <= 1 and not call.kwargs and call.name.count(".") >= 1 \
                and not (call.name.startswith("self.") and call.name.count(".") == 1):
            return []  # model.train() / model.eval(): torch's mode switch, not the project's train()
        if call.name.split(".")[0] in scan.aliases and not call.name.startswith("self."):
            # a call into an imported module: only functions from a scanned module of that name
            module = scan.aliases[call.name.split(".")[0]].split(".")[-1]
            return [q for q in candidates if Path(q.split("::")[0]).stem == module]
        # a method of some object: not of a plugin class the project never creates
        dead = unbuilt_plugins(self)
        return [q for q in candidates if self.fscans[q][1].class_name not in dead]

    def direct(self, call: Call, scan: FileScan, fs: FunctionScan) -> set[str]:
        """The effects a call site has by itself (auditor.evidence.code.effects, and the adapters' tags)."""
        tags = call_tags(call, scan, fs, self.save, self.load, self.discovery)
        if call.short == "debug" and LOG in tags and not self.debug_on:  # a level above DEBUG drops these lines
            tags -= {LOG, HEARTBEAT}
        node = self.nodes.get(id(call), (None, ""))[0]
        if node is not None and (liveness_progress(call, node, scan, fs) or status_record(call, node, fs)):
            tags.add(PROGRESS)
        return tags | self.site_tags.get(id(node), set())

    # ------------------------------------------------------------------ data flow

    def taint(self, qual: str) -> tuple[set[str], set[str]]:
        """Names of a function that carry a resume parameter / a discovery result."""
        scan, fs = self.fscans[qual]
        res: set[str] = set(self.resume_names)
        disc: set[str] = set()

        def step() -> bool:
            size = len(res) + len(disc)
            for names, value in fs.assigns:
                mentioned = names_in(value)
                if mentioned & res:
                    res.update(names)
                if mentioned & disc or self.has_discovery_call(value, scan):
                    disc.update(names)
            return len(res) + len(disc) != size

        # each pass that changes anything adds an assignment's targets to one of the two sets
        until_stable(step, 2 * len(fs.assigns), f"the resume/discovery taint of {qual}")
        return res, disc

    def has_discovery_call(self, value: ast.AST, scan: FileScan) -> bool:
        for name, short in calls_in(value, scan.aliases):
            if short in self.discovery or name in self.discovery:
                return True
            if any(t in self.returns_discovery for t in self.by_name.get(short, [])):
                return True
        return False

    def find_discovery_flow(self) -> None:
        """Taints of every function, and the functions that return a discovered checkpoint."""
        # a function's taint depends on returns_discovery only through the functions its
        # assignments and returns may call: after the first pass, only a function with a newly
        # added one among them can change
        callees: dict[str, set[str]] = {}
        for qual, (scan, fs) in self.fscans.items():
            callees[qual] = {t for value in [v for _, v in fs.assigns] + fs.returns
                             for _, short in calls_in(value, scan.aliases) for t in self.by_name.get(short, ())}
        # a discovery result may pass through any number of helpers that return it (each pass
        # moves it at least one call level up, or nothing changes)
        added: set[str] | None = None  # None: the first pass, every function

        def step() -> bool:
            nonlocal added
            before = set(self.returns_discovery)
            for qual, (scan, fs) in self.fscans.items():
                if added is not None and not callees[qual] & added:
                    continue
                self.taints[qual] = self.taint(qual)
                if any(names_in(r) & self.taints[qual][1] or self.has_discovery_call(r, scan) for r in fs.returns):
                    self.returns_discovery.add(qual)
            added = self.returns_discovery - before
            return bool(added)

        # the first pass fills every taint; each later one that changes anything adds a function
        until_stable(step, len(self.fscans) + 1, "the functions returning a discovered checkpoint")

    def is_restore(self, qual: str, i: int) -> bool:
        """Whether call `i` of `qual` loads a checkpoint, itself or through a restorer."""
        _, targets, tags = self.sites[qual][i]
        return LOAD in tags or any(t in self.restorers for t in targets)

    def find_restorers(self) -> None:
        """Functions that pass one of their parameters into a checkpoint load."""
        # a function's parameter flow is its own (no pass changes it): found once, and only for a
        # function with a restore call, the one place it is asked
        flows: dict[str, set[str]] = {}

        def passes_a_parameter(qual: str, fs: FunctionScan, node: ast.Call) -> bool:
            flow = flows.get(qual)
            if flow is None:
                params = {p.name for p in self.ev.functions[qual].params} - {"self", "cls"}
                flow = flows[qual] = _parameter_flow(qual, fs, params)
            return bool(flow) and bool(_argument_names(node) & flow)

        # a call that loads nothing itself and reaches no scanned function is never a restore
        can_restore = {qual: [(i, node) for i, (_call, node) in enumerate(fs.calls)
                              if self.sites[qual][i][1] or LOAD in self.sites[qual][i][2]]
                       for qual, (_scan, fs) in self.fscans.items()}

        def step() -> bool:
            size = len(self.restorers)
            for qual, (_scan, fs) in self.fscans.items():
                if qual in self.restorers or qual not in self.ev.functions:
                    continue
                if any(self.is_restore(qual, i) and passes_a_parameter(qual, fs, node) for i, node in can_restore[qual]):
                    self.restorers.add(qual)
            return len(self.restorers) != size

        # each pass that changes anything adds a function
        until_stable(step, len(self.fscans), "the functions that restore from a parameter")

    def find_loads(self) -> None:
        """Every restore call, with whether a resume argument and a discovered checkpoint reach it."""
        for qual, (scan, fs) in self.fscans.items():
            res, disc = self.taints[qual]
            for i, (call, node) in enumerate(fs.calls):
                if not self.is_restore(qual, i):
                    continue
                arg_names = _argument_names(node)
                guard_names: set[str] = set()
                for g in call.guards:
                    guard_names |= set(_IDENTIFIER.findall(g))
                from_resume = bool(arg_names & res) or bool(guard_names & self.resume_names)
                finds_itself = DISCOVERY in self.sites[qual][i][2]  # a framework's load of its newest checkpoint
                from_disc = bool(arg_names & disc) or finds_itself or exists_discovery(fs, node) or any(
                    self.has_discovery_call(a, scan) for a in list(node.args) + [k.value for k in node.keywords]) \
                    or caller_exists(self, qual, node) is not None \
                    or default_last(self, qual, node, self.sites[qual][i][1]) is not None
                self.loads.setdefault(qual, []).append((call, from_resume, from_disc))

    # ------------------------------------------------------------------ effects

    def propagate_effects(self) -> None:
        """Transitive effects per function, keeping the most telling witness of each."""
        effects = self.effects
        for qual, entries in self.sites.items():
            for call, _, tags in entries:
                for tag in tags:
                    offer(effects[qual], Effect(tag, call, (), self.guards_of(call)))
            for call, _from_resume, from_disc in self.loads.get(qual, []):
                if from_disc:
                    offer(effects[qual], Effect(AUTORESUME, call))

        pass_up(self.sites, effects, self.guards_of, len(_TAGS))
        self.ev.effects = {q: tuple(sorted(e.values(), key=lambda x: x.tag)) for q, e in effects.items() if e}

    def call_effects(self, call: Call, targets: list[str], tags: set[str],
                     in_loop_only: bool = True) -> tuple[Effect, ...]:
        """What a call in a loop does, with the guards inside the loop on the way to each effect
        (all of its function's guards when the whole function runs in a loop: a framework's hook)."""
        own = self.guards_of(call, in_loop_only=in_loop_only)
        out: dict[str, Effect] = {t: Effect(t, call, (), own) for t in tags}
        for t in targets:
            for tag, eff in self.effects.get(t, {}).items():
                offer(out, Effect(tag, eff.site, (t.split("::")[-1],) + eff.via, own + eff.guards))
        return tuple(sorted(out.values(), key=lambda e: e.tag))

    # ------------------------------------------------------------------ reachability

    def find_reachable(self) -> None:
        """The entry point, and every function reachable from it with the loop depth it is called at."""
        entry_qual = f"{self.entry_file}::{self.entry_func}"
        self.ev.entry = self.ev.functions.get(entry_qual)
        starts: dict[str, int] = {}
        if self.ev.entry is not None:
            starts[entry_qual] = 0
        for rel in {self.entry_file, self.config.main_module}:
            if f"{rel}::<main>" in self.fscans:
                starts.setdefault(f"{rel}::<main>", 0)
        if self.ev.entry is None:  # no entry function: every function is a candidate, flagged by entry=None,
            # but a standalone tool's (a converter that loops over checkpoints is not the training loop)
            tools = standalone_scripts(self.scans, (self.entry_file, self.config.main_module)) \
                if any(s.rel == self.entry_file for s in self.scans) else set()
            dead = unbuilt_plugins(self)  # a method of a class nothing creates has no instance to run on
            for qual, (scan, fs) in self.fscans.items():
                if scan.rel not in tools and fs.class_name not in dead:
                    starts.setdefault(qual, 0)
            self.ev.tools = tuple(sorted(tools))
        ctx: dict[str, int] = dict(starts)
        runs = thread_class_runs(self.scans, self.fscans)
        self.thread_runs = {q for quals in runs.values() for q in quals}  # a Thread subclass's run(): a thread's code
        for qual, (scan, fs) in self.fscans.items():
            for call, node in fs.calls:
                if call.short in THREAD_CLASSES or is_process(call, scan):
                    self.thread_targets.setdefault(qual, []).extend(thread_target_quals(node, scan, fs, self.by_name))
                for run_q in runs.get(call.short, ()):
                    self.thread_targets.setdefault(qual, []).append(run_q)
        # breadth first: a function's context depth is that of its shortest call chain from the
        # entry point (the main path), so call cycles cannot inflate it
        queue = list(ctx)
        while queue:
            qual = queue.pop(0)
            for call, targets, _ in self.sites.get(qual, []):
                for t in targets:
                    if t not in ctx:
                        ctx[t] = ctx[qual] + call.loop_depth
                        queue.append(t)
            for t in self.thread_targets.get(qual, []):
                if t not in ctx:
                    ctx[t] = 0
                    queue.append(t)
        self.ctx = ctx
        self.ev.reachable = frozenset(ctx)

    def loop_calls(self) -> list[LoopCall]:
        """Calls in loops; a loop that takes a training step (backward, optimizer step) is the per-batch loop."""
        thread_target_set = {t for ts in self.thread_targets.values() for t in ts} | self.thread_runs
        out: list[LoopCall] = []
        for qual in sorted(self.ctx):
            sites = self.sites.get(qual, [])
            step_loops = _around_accumulation(self.ev.functions[qual].loops, {
                c.loop_line for c, targets, tags in sites if c.loop_line and (
                    STEP in tags or any(STEP in self.effects.get(t, {}) for t in targets))})
            for call, targets, tags in sites:
                if call.loop_depth == 0:
                    continue
                depth = call.loop_depth + self.ctx[qual]
                batch = call.batch_loop or depth >= 2 or call.loop_line in step_loops
                out.append(LoopCall(call, depth, batch, self.call_effects(call, targets, tags),
                                    qual in thread_target_set))
        return out

    # ------------------------------------------------------------------ threads

    # ------------------------------------------------------------------ __main__ / CLI and auto-resume

    def main_and_cli(self) -> list[MainCall]:
        """Fill main_calls, resume_passed and resume_options from the main module and the entry file."""
        entry_names = {self.entry_func.split(".")[-1]}
        resume_takers = {f.name for f in self.ev.functions.values()
                         if any(p.name in self.resume_names for p in f.params)}
        # python-fire: every parameter of the function, or of the class's methods, given to Fire is a flag
        fired = resume_takers | {f.class_name for f in self.ev.functions.values() if f.class_name
                                 and any(p.name in self.resume_names for p in f.params)}
        main_calls: list[MainCall] = []
        passed: list[Call] = []
        options: list[Call] = []
        for rel in dict.fromkeys([self.config.main_module, self.entry_file]):
            for _qual, (scan, fs) in self.fscans.items():
                if scan.rel != rel:
                    continue
                for call, node in fs.calls:
                    is_entry = call.short in entry_names or \
                        scan.aliases.get(call.short, "").split(".")[-1] in entry_names
                    if fs.qualname == "<main>":
                        main_calls.append(MainCall(call, is_entry))
                    if fire_target(call, node) in fired:
                        options.append(call)
                        continue
                    if call.short in ("option", "argument", "add_argument"):
                        declared = {option_name(a.value) for a in node.args if isinstance(a, ast.Constant)
                                    and isinstance(a.value, str)}
                        if declared & self.resume_names:
                            options.append(call)
                        continue
                    if fs.qualname == "<module>":
                        continue
                    if self.passes_resume(call, is_entry) and (is_entry or call.short in resume_takers):
                        passed.append(call)
        for scan in self.scans:  # a call anywhere that hands a resume argument to one of our functions taking it
            if scan.rel in (self.config.main_module, self.entry_file):
                continue
            for fs in scan.scopes():
                for call, _node in fs.calls:
                    if fs.qualname != "<module>" and call.short in resume_takers and self.passes_resume(call, False):
                        passed.append(call)
        self.ev.main_calls = tuple(main_calls)
        self.ev.resume_passed = tuple(passed)
        self.ev.resume_options = tuple(options)
        return main_calls

    def passes_resume(self, call: Call, is_entry: bool) -> bool:
        """Whether a call passes a resume argument (by keyword, or by position to the entry point).

        It counts only when it reaches training: the entry point, or one of our functions that
        takes a resume parameter (not, say, an event record naming the mode); the caller checks that.
        """
        passes = any(k in self.resume_names and v != "None" for k, v in call.kwargs)
        if not passes and is_entry and self.ev.entry is not None:
            positional = [p.name for p in self.ev.entry.params]
            passes = any(p in self.resume_names for p in positional[: call.n_args])
        return passes

    def auto_resume(self, main_calls: list[MainCall]) -> list[Effect]:
        """A reachable call, outside any loop, that reaches a discovery->restore, or a __main__ that
        passes a discovered checkpoint as the resume argument."""
        auto: list[Effect] = []
        for qual in sorted(self.ctx):
            for call, targets, tags in self.sites.get(qual, []):
                if call.loop_depth:
                    continue
                auto += [eff for eff in self.call_effects(call, targets, tags) if eff.tag == AUTORESUME]
            for call, _from_resume, from_disc in self.loads.get(qual, []):
                if from_disc and call.loop_depth == 0:
                    auto.append(Effect(AUTORESUME, call))
        # a restore that no training follows (an evaluate command's) resumes nothing
        auto = [e for e in auto if id(e.site) not in self.nodes or trains_after(self, self.nodes[id(e.site)][1], e.site)]
        entry_loads_resume = any(r.from_resume and r.reachable for r in self.ev.resume_loads)
        for mc in main_calls:
            if not mc.target_is_entry:
                continue
            scan, fs = self.fscans[f"{mc.call.file}::<main>"]
            _, disc = self.taints[f"{mc.call.file}::<main>"]
            node = next(n for c, n in fs.calls if c is mc.call)
            for k in node.keywords:
                if k.arg in self.resume_names and (names_in(k.value) & disc or self.has_discovery_call(k.value, scan)):
                    if entry_loads_resume:
                        auto.append(Effect(AUTORESUME, mc.call))
        return auto


# --------------------------------------------------------------------------- helpers


_IDENTIFIER = rxcache.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DEBUG_LEVEL = rxcache.compile(r"\bDEBUG\b|level\s*=\s*10\b|setLevel\(\s*10\s*\)")  # each match holds DEBUG or evel

# a loop over the micro-batches of one optimizer step (`for _ in range(gradient_accumulation_steps)`)
_ACCUMULATION = rxcache.compile(r"^for .* in .*(?:accum|micro|grad(?:ient)?_acc)", re.I)


def _around_accumulation(loops: tuple[Loop, ...], step_lines: set[int]) -> set[int]:
    """The loops that take a training step, and the loop around a gradient-accumulation loop among
    them: it runs once an optimizer step, so it is the per-batch loop as much as the inner one."""
    out = set(step_lines)
    for i, loop in enumerate(loops):
        if loop.line in step_lines and _ACCUMULATION.match(loop.header):
            parent = next((p for p in reversed(loops[:i]) if p.depth == loop.depth - 1), None)
            if parent is not None:
                out.add(parent.line)
    return out



def _function(scan: FileScan, fs: FunctionScan, qual: str) -> Function:
    params: list[Param] = []
    if isinstance(fs.node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        a = fs.node.args
        positional = a.posonlyargs + a.args
        defaults: list[ast.AST | None] = [None] * (len(positional) - len(a.defaults)) + list(a.defaults)
        for arg, d in list(zip(positional, defaults)) + list(zip(a.kwonlyargs, a.kw_defaults)):
            params.append(Param(arg.arg, scan.seg(d) if d is not None else None, arg.lineno))
    end = getattr(fs.node, "end_lineno", None) or getattr(fs.node, "lineno", 0)
    return Function(qualname=qual, name=fs.name, file=scan.rel, line=getattr(fs.node, "lineno", 0), end_line=end,
                    class_name=fs.class_name, params=tuple(params),
                    callees=frozenset(c.short for c, _ in fs.calls if not _mode_switch(c)), loops=tuple(fs.loops))


def _mode_switch(call: Call) -> bool:
    """`model.train()` / `net.eval()`: a module's mode switch, not a call of a function of that name."""
    return call.short in ("train", "eval") and call.n_args <= 1 and not call.kwargs and "." in call.name \
        and not call.name.startswith("self.")


def _parameter_flow(qual: str, fs: FunctionScan, params: set[str]) -> set[str]:
    """`params` and every local name assigned from an expression that mentions one of them."""
    flow = set(params)
    if not flow:
        return flow

    def step() -> bool:
        size = len(flow)
        for names, value in fs.assigns:
            if names_in(value) & flow:
                flow.update(names)
        return len(flow) != size

    until_stable(step, len(fs.assigns), f"the parameter flow of {qual}")
    return flow


def _argument_names(node: ast.Call) -> set[str]:
    out: set[str] = set()
    for a in list(node.args) + [k.value for k in node.keywords]:
        out |= names_in(a)
    return out


def _external_receiver(root: str, scan: FileScan, fs: FunctionScan, scanned_tops: set[str]) -> bool:
    """True when `root` is a local bound only to objects from outside the scanned code
    (`h = hashlib.sha256()`, `f = open(...)`, literals), whose methods cannot be ours."""
    if root in ("self", "cls"):
        return False
    values = [v for names, v in fs.assigns if root in names]
    if not values:
        return False
    for value in values:
        if isinstance(value, (ast.Constant, ast.List, ast.Dict, ast.Set, ast.Tuple, ast.JoinedStr,
                              ast.ListComp, ast.DictComp, ast.SetComp)):
            continue
        if not isinstance(value, ast.Call):
            return False
        name = dotted(value.func, scan.aliases)
        top = name.split(".")[0]
        if top in _BUILTIN_MAKERS and "." not in name:
            continue
        original = value.func
        while isinstance(original, ast.Attribute):
            original = original.value
        if isinstance(original, ast.Name) and original.id in scan.aliases and top not in scanned_tops:
            continue
        return False
    return True
