"""Guards decide: what the `if` tests on the way to a save, a progress write or a log call mean.

A save inside the training loop is periodic only when what leads to it is a period: every
iteration (no test), `step % N == 0`, `time.time() - last >= interval`, or a predicate that
computes one (`self._checkpoint_due()`, `save, stop = agree(manager.should_save(...))`). A
save reached only under another condition is not: a best-metric test (`if val_loss < best:`),
a flag that is off by default, a stop signal, or the last step only. Some tests change
nothing: the main-process check of a distributed job, `step > 0`, `x is not None`, a flag that
is on by default (`losses['val'] < best or always_save_checkpoint` with `always_save_checkpoint
= True`).

`classify` reads one test (its syntax tree, with the file's scan for names) and says which of
these it is, with the interval it tests against when it is a period, resolved through
auditor.evidence.code.values.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from auditor import rxcache
from auditor.evidence.code.facts import EXCEPT_GUARD, Guard
from auditor.evidence.code.syntax import dotted, names_in, short_text
from auditor.evidence.code.values import Values

if TYPE_CHECKING:
    from auditor.evidence.code.scan import FileScan, FunctionScan, GuardNode

PERIOD_KINDS = ("period-steps", "period-epochs", "period-time", "period")
_TIME = rxcache.compile(r"time|monotonic|perf_counter|clock|elapsed|now|since|last_(?:save|persist|ckpt|checkpoint|"
                   r"status|write|progress|log|beat)|deadline|_t0|^t0$|^t1$|^tic$", re.I)
_METRIC = rxcache.compile(r"loss|best|metric|score|acc|improv|val|psnr|ssim|ppl|perplex|reward|error|err$", re.I)
_SIGNAL = rxcache.compile(r"stop|signal|preempt|interrupt|terminat|sigterm|sigint|kill|abort|exit|shutdown", re.I)
_MAIN_PROCESS = rxcache.compile(r"is_(?:local_)?main_process|is_global_zero|is_world_process_zero|is_main|master_process|"
                           r"is_master|is_rank_zero|rank_zero", re.I)
_RANK = rxcache.compile(r"rank$", re.I)
_LIMIT = rxcache.compile(r"max|total|num_|n_steps|n_epochs|epochs$|last|final|end|limit", re.I)
_DUE = rxcache.compile(r"due|should_?(?:save|checkpoint|ckpt|persist|snapshot)|time_to_(?:save|checkpoint)|"
                  r"needs?_(?:save|checkpoint)|is_time|save_now", re.I)
# the threshold a warm-up compares with: once the count passes it, it stays passed (replay buffers, schedules)
_WARMUP = rxcache.compile(r"warm|learning_starts|start_steps|burn_?in|min_(?:replay|buffer|memory|history|samples)|"
                     r"replay_start|prefill", re.I)
_FLIP = {ast.Lt: ast.GtE, ast.LtE: ast.Gt, ast.Gt: ast.LtE, ast.GtE: ast.Lt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq,
         ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is}
MAX_DEPTH = 4
_UNCLEAR = "a test that is not a period"
# what a condition says when it says something about when the call runs (not a bare comparison or predicate)
_DECISIVE = ("best-metric", "stop-signal", "stop flag", "between the periods", "until the wall-clock", "during warm-up",
             "the negation of", "every ")

FunctionFinder = Callable[[str, "FileScan", "FunctionScan"], "list[tuple[FileScan, FunctionScan]]"]


class Classifier:
    """Classifies `if` tests; one per analysis (it caches by node)."""

    def __init__(self, values: Values, find: FunctionFinder) -> None:
        self.values, self.find = values, find
        self._cache: dict[tuple[int, bool, bool], Guard] = {}

    def guards(self, nodes: tuple[GuardNode, ...], scan: FileScan, fs: FunctionScan,
               in_loop_only: bool = False) -> tuple[Guard, ...]:
        """The classified guards of a call or an assignment (only those inside a loop when asked)."""
        return tuple(self.classify(g.test, g.negated, scan, fs, early=g.early) for g in nodes
                     if g.in_loop or not in_loop_only)

    def classify(self, test: ast.AST, negated: bool, scan: FileScan, fs: FunctionScan, depth: int = 0,
                 early: bool = False) -> Guard:
        """What one test means; `early`: the call comes after `if test: return` (or break, continue, raise)."""
        key = (id(test), negated, early)
        if key in self._cache:
            return self._cache[key]
        kind, what, interval = self._negated(test, scan, fs, depth) if negated else self._kind(test, scan, fs, depth)
        if early and kind == "condition" and not any(marker in what for marker in _DECISIVE):
            # `if samples >= n: break` is the loop's own bound more often than a condition on what follows:
            # only a test that says something (a metric, a flag, a period, a signal) decides after an early exit
            kind, what = "neutral", f"past an early exit ({what})"
        text = ("not (" if negated else "") + short_text(scan.seg(test), 120) + (")" if negated else "")
        guard = Guard(text, kind, what, scan.rel, test.lineno, interval)
        self._cache[key] = guard
        return guard

    # ------------------------------------------------------------------ kinds

    def _negated(self, test: ast.AST, scan: FileScan, fs: FunctionScan, depth: int) -> tuple[str, str, object]:
        """What the else branch of `if test:` (or the code after `if test: return`) runs under."""
        if isinstance(test, ast.Compare) and len(test.ops) == 1 and type(test.ops[0]) in _FLIP:
            flipped = ast.copy_location(ast.Compare(test.left, [_FLIP[type(test.ops[0])]()], test.comparators), test)
            return self._kind(flipped, scan, fs, depth)
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            return self._kind(test.operand, scan, fs, depth)
        kind, what, _ = self._kind(test, scan, fs, depth)
        if kind == "flag-on":
            return "flag-off", f"{what} turned off", None
        if kind == "flag-off":
            return "neutral", f"{what} not given", None
        if kind in ("neutral", "end"):
            return "neutral", what, None
        return "condition", f"the else branch of {what}", None

    def _kind(self, test: ast.AST, scan: FileScan, fs: FunctionScan, depth: int) -> tuple[str, str, object]:
        if isinstance(test, ast.Name) and test.id == EXCEPT_GUARD:
            return "condition", f"an exception handler: only when {getattr(test, 'raised', 'an exception')} is raised", None
        if isinstance(test, ast.BoolOp):
            parts = [self._kind(v, scan, fs, depth) for v in test.values]
            if isinstance(test.op, ast.And):
                # `every and step % every == 0`: the period's own divisor tested for zero turns the period on
                divisors = {scan.seg(p[2][0]) for p in parts if p[0] in PERIOD_KINDS and p[2]}
                parts = [("neutral", "the period is on", None) if isinstance(v, (ast.Name, ast.Attribute))
                         and scan.seg(v) in divisors else p for v, p in zip(test.values, parts)]
                for wanted in ("condition", "flag-off", "end"):
                    hit = next((p for p in parts if p[0] == wanted), None)
                    if hit:
                        return hit
                return next((p for p in parts if p[0] in PERIOD_KINDS), next(
                    (p for p in parts if p[0] == "flag-on"), ("neutral", "main-process or bounds checks", None)))
            if any(p[0] in ("neutral", "flag-on") for p in parts):  # `a or flag_on_by_default`: taken by default
                return next(p for p in parts if p[0] in ("neutral", "flag-on"))
            return next((p for p in parts if p[0] in PERIOD_KINDS), parts[0])
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            if isinstance(test.operand, ast.BinOp) and isinstance(test.operand.op, ast.Mod):
                return self._modulo(test.operand, scan, fs)
            kind, what, _ = self._kind(test.operand, scan, fs, depth)
            if kind in PERIOD_KINDS:
                return "condition", f"the negation of {what}", None
            if kind == "flag-off":  # `not fresh` with fresh off by default: taken by default
                return "neutral", f"{what} not given", None
            if kind == "flag-on":  # `not enabled` with enabled on by default: not taken unless turned off
                return "flag-off", f"{what} turned off", None
            return (kind, what, None) if kind in ("neutral",) else ("condition", what, None)
        if isinstance(test, ast.Compare):
            return self._compare(test, scan, fs, depth)
        if isinstance(test, ast.Call):
            return self._predicate(test, scan, fs, depth)
        if isinstance(test, (ast.Name, ast.Attribute)):
            return self._flag(test, scan, fs, depth)
        return "condition", _UNCLEAR, None

    def _modulo(self, mod: ast.BinOp, scan: FileScan, fs: FunctionScan) -> tuple[str, str, object]:
        counter = " ".join(names_in(mod.left))
        interval = self.values.resolve(mod.right, scan, fs)
        unit = "epochs" if "epoch" in counter.lower() else "steps"
        return f"period-{unit}", f"every {short_text(scan.seg(mod.right), 60)} {unit}", (mod.right, interval)

    def _compare(self, test: ast.Compare, scan: FileScan, fs: FunctionScan, depth: int) -> tuple[str, str, object]:
        left, op, right = test.left, test.ops[0], test.comparators[0]
        if isinstance(left, ast.BinOp) and isinstance(left.op, ast.Mod) and isinstance(op, ast.Eq) \
                and isinstance(right, ast.Constant) and right.value == 0:
            return self._modulo(left, scan, fs)
        if isinstance(left, ast.BinOp) and isinstance(left.op, ast.Mod) and isinstance(op, (ast.NotEq, ast.Gt)) \
                and isinstance(right, ast.Constant) and right.value == 0:
            return "condition", f"between the periods of every {short_text(scan.seg(left.right), 60)}", None
        if isinstance(op, (ast.Is, ast.IsNot)) or isinstance(right, ast.Constant) and right.value is None:
            return "neutral", "a None check", None
        if isinstance(right, ast.Constant) and isinstance(right.value, str):  # a setting, not a metric
            setting = self.values.resolve(left, scan, fs)
            if setting is not None and isinstance(op, (ast.Eq, ast.NotEq)):
                taken = (setting.value == right.value) == isinstance(op, ast.Eq)
                what = f"{short_text(scan.seg(test), 60)}, {scan.seg(left)} being {setting.value!r} by default"
                return ("neutral" if taken else "flag-off"), what, None
            return "condition", f"{short_text(scan.seg(test), 60)} (a setting the user must change)", None
        if isinstance(right, ast.Constant) and right.value == 0 and isinstance(op, (ast.Gt, ast.NotEq)) \
                and isinstance(left, (ast.Name, ast.Attribute)):
            switch = self._switch(test, left, scan, fs)  # `save_secs > 0`: is the period on at all
            if switch is not None:
                return switch
        lnames, rnames = names_in(left), names_in(right)
        if any(_TIME.search(n) for n in lnames) and isinstance(op, (ast.Gt, ast.GtE)):
            return "period-time", f"every {short_text(scan.seg(right), 60)} of wall-clock time", (
                right, self.values.resolve(right, scan, fs))
        if any(_TIME.search(n) for n in rnames) and isinstance(op, (ast.Lt, ast.LtE)):
            return "period-time", f"every {short_text(scan.seg(left), 60)} of wall-clock time", (
                left, self.values.resolve(left, scan, fs))
        # (the smaller side, the larger side) of an ordering
        lesser, greater = (lnames, rnames) if isinstance(op, (ast.Lt, ast.LtE)) else (rnames, lnames) \
            if isinstance(op, (ast.Gt, ast.GtE)) else ((), ())
        if any(_TIME.search(n) for n in lesser) and not any(_LIMIT.search(n) for n in greater):
            return "condition", "until the wall-clock period has passed", None
        if any(_WARMUP.search(n) for n in lesser):
            return "neutral", f"a warm-up threshold ({short_text(scan.seg(test), 60)}), true once reached", None
        if any(_WARMUP.search(n) for n in greater):
            return "condition", f"during warm-up only ({short_text(scan.seg(test), 60)})", None
        every = lnames | rnames
        if any(_MAIN_PROCESS.search(n) for n in every) or (any(_RANK.search(n) for n in every)
                                                            and isinstance(right, ast.Constant)):
            return "neutral", "a main-process check", None
        if any(_METRIC.search(n) for n in every):
            return "condition", "a best-metric test", None
        if any(_SIGNAL.search(n) for n in every):
            return "condition", "a stop-signal test", None
        if any(_LIMIT.search(n) for n in every):
            if isinstance(op, (ast.Eq, ast.GtE)) and any(_LIMIT.search(n) for n in rnames):
                return "end", "the last step only", None
            return "neutral", "a bound on the step count", None
        if isinstance(right, ast.Constant) and isinstance(right.value, (int, float)) and right.value == 0 \
                and isinstance(op, (ast.Gt, ast.NotEq)):
            return "neutral", "a check that the step count is past zero", None
        return "condition", _UNCLEAR, None

    def _switch(self, test: ast.Compare, setting: ast.AST, scan: FileScan,
                fs: FunctionScan) -> tuple[str, str, object] | None:
        """`interval > 0` on a setting: off by default when its default is 0, else taken by default;
        None when the default cannot be followed (the test is then read as before)."""
        if not _PERIOD_SETTING.search(scan.seg(setting)):
            return None  # `global_step > 0` is a counter past zero, not a switch
        default = self.values.resolve(setting, scan, fs)
        if default is None or not isinstance(default.value, (int, float)) or isinstance(default.value, bool):
            return None
        what = short_text(scan.seg(test), 60)
        if default.value == 0:
            return "flag-off", f"{what}, off by default ({scan.seg(setting)} = 0)", None
        return "neutral", f"{what}, on by default", None

    def _predicate(self, call: ast.Call, scan: FileScan, fs: FunctionScan, depth: int) -> tuple[str, str, object]:
        name = dotted(call.func, scan.aliases)
        short = name.split(".")[-1]
        if _MAIN_PROCESS.search(short):
            return "neutral", "a main-process check", None
        for arg in list(call.args) + [k.value for k in call.keywords]:  # agree(manager.should_save(...))
            inner = [sub for sub in ast.walk(arg) if isinstance(sub, ast.Call)]
            due = next((dotted(c.func, scan.aliases).split(".")[-1] for c in inner
                        if _DUE.search(dotted(c.func, scan.aliases).split(".")[-1])), None)
            if due:
                return "period", f"{due}() decides when a save is due", None
        if depth < MAX_DEPTH:
            for other_scan, other in self.find(short, scan, fs):
                for ret in other.returns:
                    kind, what, interval = self._kind(ret, other_scan, other, depth + 1)
                    if kind in PERIOD_KINDS:
                        return kind, f"{what} ({short}())", interval
        if _DUE.search(short):
            return "period", f"{short}() decides when a save is due", None
        if short in ("exists", "isfile", "is_file"):
            return "neutral", "an existence check", None
        return "condition", f"{short}() (not a period)", None

    def _flag(self, node: ast.Name | ast.Attribute, scan: FileScan, fs: FunctionScan,
              depth: int) -> tuple[str, str, object]:
        name = node.id if isinstance(node, ast.Name) else node.attr
        if _MAIN_PROCESS.search(name):
            return "neutral", "a main-process check", None
        if isinstance(node, ast.Name) and depth < MAX_DEPTH:
            assigned = [v for names, v in fs.assigns if name in names]
            if len(assigned) == 1 and isinstance(assigned[0], (ast.Call, ast.Compare, ast.BoolOp)):
                kind, what, interval = self._kind(assigned[0], scan, fs, depth + 1)
                if kind != "condition":
                    return kind, what, interval
        if _DUE.search(name):
            return "period", f"{name} (a save that is due)", None
        if _SIGNAL.search(name):
            return "condition", f"a stop flag ({name})", None
        default = self.values.resolve(node, scan, fs)
        if default is not None and default.value is True:
            return "flag-on", f"{name}, on by default ({default.how} at {default.where})", (node, default)
        if default is not None and default.value in (False, None, 0, ""):
            return "flag-off", f"{name}, off by default", None
        return "condition", f"{name} (a flag)", None


# a setting that holds a period (`save_secs`, `ckpt_interval`, `save_every`), not a counter
_PERIOD_SETTING = rxcache.compile(r"every|interval|period|freq|secs?\b|seconds|minutes|mins?\b|_s\b", re.I)


def is_period(guard: Guard) -> bool:
    return guard.kind in PERIOD_KINDS


def blocking(guards: tuple[Guard, ...]) -> tuple[Guard, ...]:
    """The guards that keep a call from running at a period: conditions, off-by-default flags, the end only."""
    return tuple(g for g in guards if g.kind in ("condition", "flag-off", "end"))
