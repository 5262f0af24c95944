"""The facts code evidence is made of: call sites, loops, functions, effects, threads,
intervals, resume loads, and `CodeEvidence` that holds them for one project.

Framework-neutral: the plain-PyTorch analysis (`flow`) and the framework adapters
(`auditor.evidence.frameworks`) fill the same types, and probes read only these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor import evcodec

# Effect tags a function (or a call site, through the functions it reaches) can carry.
SAVE, LOAD, LOG, PROGRESS, HEARTBEAT, DISCOVERY, AUTORESUME, STEP = (
    "save", "load", "log", "progress", "heartbeat", "discovery", "autoresume", "step")


@dataclass(frozen=True)
class Param:
    """One parameter of a function: its name, the source text of its default and its line."""

    name: str
    default: str | None  # source text of the default, None when it has none
    line: int


@dataclass(frozen=True)
class Call:
    """One call site."""

    file: str
    line: int
    function: str  # qualname of the enclosing function, "<module>" at module level
    name: str  # dotted name with aliases resolved, e.g. "torch.save", "self.ckpt.maybe_save"
    short: str  # the last part of `name`
    loop_depth: int  # loops around the call inside its own function
    batch_loop: bool  # the innermost surrounding loop iterates batches (by name or nesting)
    kwargs: tuple[tuple[str, str], ...]  # (keyword, value source text)
    n_args: int
    text: str  # source excerpt (shortened)
    guards: tuple[str, ...] = ()  # source text of surrounding `if` tests
    loop_line: int = 0  # the line of the innermost loop around the call in its function (0: none)


@dataclass(frozen=True)
class Loop:
    """One `for` or `while` loop of a function: where it is, how deep, its header and whether it iterates batches."""

    file: str
    line: int
    function: str
    depth: int  # 1 for an outermost loop of its function
    header: str  # `for x in y` / `while cond`, shortened
    batch_loop: bool


@dataclass(frozen=True)
class Function:
    """One function or method of the project: where it is defined, its parameters, what it calls and its loops."""

    qualname: str
    name: str
    file: str
    line: int
    end_line: int
    class_name: str | None
    params: tuple[Param, ...]
    # the short names of what it calls, a model's `.train()` / `.eval()` mode switch left out: all
    # that is asked of its calls once the analysis is done (CodeEvidence.called_elsewhere); its
    # call sites themselves would be most of the column's cache entry
    callees: frozenset[str]
    loops: tuple[Loop, ...]


EXCEPT_GUARD = "__except__"  # the test an except handler's calls run under (its `raised`: what it catches)


@dataclass(frozen=True)
class Guard:
    """One `if` test on the way to a call, and what it means (auditor.evidence.code.guards)."""

    text: str
    kind: str  # period-steps | period-epochs | period-time | period | neutral | flag-on | condition | flag-off | end
    what: str  # "a best-metric test", "every 100 steps", "continue_run, off by default", ...
    file: str
    line: int
    # for a period: (the expression it tests against, its resolved Value or None); for a flag on by
    # default: (the flag, its Value). Syntax nodes the collector reads while it works, not facts a
    # probe reads: not compared, and not kept by auditor.colcache (a cached Guard has None).
    interval: Any = field(default=None, compare=False, metadata={"cache": False})

    @property
    def blocks(self) -> bool:
        """It keeps the call from running at a period (a condition, a flag off by default, the end only)."""
        return self.kind in ("condition", "flag-off", "end")


@dataclass(frozen=True)
class Effect:
    """Why a function carries an effect: the call site that does it directly."""

    tag: str
    site: Call
    via: tuple[str, ...] = ()  # functions passed through, outermost first
    guards: tuple[Guard, ...] = ()  # the `if` tests on the way, the outermost call's first

    @property
    def blocked_by(self) -> tuple[Guard, ...]:
        return tuple(g for g in self.guards if g.blocks)


@dataclass(frozen=True)
class LoopCall:
    """A call inside a loop of code reachable from the entry point, with what it reaches."""

    call: Call
    depth: int  # loop depth including loops around the calls that lead here
    batch_loop: bool
    effects: tuple[Effect, ...]
    in_thread: bool = False  # the loop is in a thread's target (a heartbeat), not the training loop

    def effect(self, tag: str) -> Effect | None:
        return next((e for e in self.effects if e.tag == tag), None)


@dataclass(frozen=True)
class ThreadStart:
    """One thread or timer in the code: its target and its effects, and whether it is started and reachable."""

    file: str
    line: int
    function: str
    kind: str  # "Thread", "Timer" or "subclass"
    target: str  # source text of the target
    target_function: str | None  # qualname when resolved
    effects: tuple[Effect, ...]  # effects of the target
    started: bool
    reachable: bool
    start_file: str = ""  # where `.start()` is called on it
    start_line: int = 0
    repeats: bool = True  # its target writes its liveness signal in a loop (or re-arms), not once and returns


@dataclass(frozen=True)
class Interval:
    """A checkpoint interval in the code: its name, value and unit, where it is declared and why that unit."""

    name: str
    default: str
    value: float | None
    unit: str  # "time", "steps", "epochs" or "unknown"
    seconds: float | None
    file: str
    line: int
    where: str  # qualname of the function or class declaring it
    reason: str  # how the unit was decided


@dataclass(frozen=True)
class MainCall:
    """A call made by a `__main__` block (or a CLI command) in the main module / entry file."""

    call: Call
    target_is_entry: bool


@dataclass(frozen=True)
class ResumeLoad:
    """A checkpoint-load call and where its argument comes from."""

    call: Call
    from_resume: bool  # the argument (or a guarding `if`) carries a resume parameter
    from_discovery: bool  # the argument comes from a call that looks for checkpoints
    reachable: bool
    direct: bool = True  # a configured load function itself, not a helper that passes its argument on
    why_not_at_start: str = ""  # when it discovers a checkpoint but cannot be auto-resume: the reason
    user_source: str = ""  # the option, setting or config field the restored path comes from ("" when none)
    restores_state: bool | None = None  # False: model weights only (no optimizer, step or RNG); None: unknown
    state_detail: str = ""  # what it restores, or what it leaves out
    discovered_at: tuple[str, int] = ("", 0)  # the call that finds the newest checkpoint (file, line)
    behind: str = ""  # the option, off by default, that the discovery or the restore runs behind
    enabled_by: tuple[str, int, str] = ("", 0, "")  # the setting, on by default, it runs behind: file, line, what


@dataclass
class CodeEvidence:
    """All AST facts about the training code of one project."""

    root: Path
    files: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    entry_point: str = ""
    entry: Function | None = None
    functions: dict[str, Function] = field(default_factory=dict)
    reachable: frozenset[str] = frozenset()
    loop_calls: tuple[LoopCall, ...] = ()
    threads: tuple[ThreadStart, ...] = ()
    intervals: tuple[Interval, ...] = ()  # declared by name (parameters, fields, options): the fallback
    save_intervals: tuple[Interval, ...] = ()  # the periods periodic saves are reached at (guards, frameworks)
    main_calls: tuple[MainCall, ...] = ()
    resume_passed: tuple[Call, ...] = ()  # entry/CLI calls passing a resume argument
    resume_options: tuple[Call, ...] = ()  # CLI options declaring a resume parameter
    resume_loads: tuple[ResumeLoad, ...] = ()
    auto_resume: tuple[Effect, ...] = ()  # discovery -> restore before the loop, reachable
    effects: dict[str, tuple[Effect, ...]] = field(default_factory=dict)
    tools: tuple[str, ...] = ()  # standalone scripts left out of an entry-less search (evidence.code.scripts)

    @property
    def found(self) -> bool:
        return bool(self.functions)

    def called_elsewhere(self, function: str) -> bool:
        """Whether a function of the project calls one named as `function` (a qualname within its
        file) is, by its short name, other than itself."""
        short = function.split("::")[-1].split(".")[-1]
        return any(short in f.callees and f.qualname.partition("::")[2] != function for f in self.functions.values())


_QUIET_LOG = {"warning", "warn", "error", "exception", "critical"}


def effect_rank(eff: Effect) -> tuple[int, int, int]:
    """Lower is more telling: a direct print/info beats a warning reached through three helpers, and a
    call every period beats one only a condition reaches."""
    return (int(eff.tag == LOG and eff.site.short in _QUIET_LOG), int(bool(eff.blocked_by)), len(eff.via))


EMPTY_FUNCTION = Function("", "", "", 0, 0, None, (), frozenset(), ())


evcodec.register(Param, Call, Loop, Function, Guard, Effect, LoopCall, ThreadStart, Interval, MainCall, ResumeLoad,
                 CodeEvidence)  # what auditor.colcache may keep of the code column
