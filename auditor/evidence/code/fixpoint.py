"""Fixed points of the flow analysis (auditor.evidence.code.flow): passes run until one changes
nothing, and the witnesses of effects passed up the call graph, each function keeping the most
telling witness of each effect it reaches.
"""

from __future__ import annotations

from collections.abc import Callable

from auditor.evidence.code.facts import Call, Effect, Guard, effect_rank

# a call site: the call, the scanned functions it may reach, its direct effects
Site = tuple[Call, list[str], set[str]]


class FixedPointError(RuntimeError):
    """A propagation did not settle within its safety limit: a bug in this module, never a finding."""


def until_stable(step: Callable[[], bool], safety_limit: int, what: str) -> None:
    """Run `step` (which says whether it changed anything) until a pass changes nothing.

    Every propagation here only ever adds to finite sets (or lowers a witness's rank), so it
    settles; `safety_limit` is the most passes that can change anything, computed from the
    sizes of those sets. It is a proof obligation, not a tuning knob: reaching it raises.
    """
    for _ in range(safety_limit + 1):
        if not step():
            return
    raise FixedPointError(f"{what} did not settle in {safety_limit} passes")


def offer(store: dict[str, Effect], eff: Effect) -> bool:
    """Keep `eff` as its tag's witness when it is more telling than the one kept; True when kept."""
    old = store.get(eff.tag)
    if old is None or effect_rank(eff) < effect_rank(old):
        store[eff.tag] = eff
        return True
    return False


def pass_up(sites: dict[str, list[Site]], effects: dict[str, dict[str, Effect]],
            guards_of: Callable[[Call], tuple[Guard, ...]], tags: int) -> None:
    """Offer each function the witnesses of the functions its calls reach, through the call's
    guards, until none is kept. A witness names the functions it passed through, and is not
    offered back to one of them.

    Offering a function the witnesses of a callee it was offered before, unchanged since, changes
    nothing (it keeps that witness or a better one): each function is offered only the callees
    whose witnesses changed since it last was, so the same offers take effect, in the same order,
    as when every callee is offered at every pass.
    """
    version = dict.fromkeys(effects, 0)
    offered: dict[str, dict[str, int]] = {qual: {} for qual in sites}

    def step() -> bool:
        changed = False
        for qual, entries in sites.items():
            seen, store = offered[qual], effects[qual]
            for call, targets, _ in entries:
                for t in targets:
                    if seen.get(t) == version.get(t, 0):
                        continue
                    for tag, eff in list(effects.get(t, {}).items()):
                        short_t = t.split("::")[-1]
                        if short_t not in eff.via and offer(store, Effect(tag, eff.site, (short_t,) + eff.via,
                                                                          guards_of(call) + eff.guards)):
                            changed = True
                            version[qual] = version.get(qual, 0) + 1
            for _call, targets, _ in entries:
                for t in targets:
                    seen[t] = version.get(t, 0)
        return changed

    # each pass that changes anything lowers the rank (quiet log?, behind a condition?, helpers
    # passed through) of one function's witness for one tag; a rank has 2 x 2 x (functions + 1) values
    n = len(effects)
    until_stable(step, n * tags * 4 * (n + 1), "the effects reached through helpers")
