"""The flow analysis's fixed points find what the plain passes found, witness for witness.

propagate_effects offers a function only the callees whose witnesses changed since it was last
offered them, and find_restorers works out a function's parameter flow once, for a function with
a restore call. Both are held here to the plain versions (every callee offered at every pass,
every parameter flow at every pass, kept below as the reference) over this repository and every
corpus project: the whole code column, encoded, must be the same.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor import evcodec
from auditor.config import load_config
from auditor.evidence import code as code_column
from auditor.evidence.code import fixpoint, flow
from auditor.evidence.code.facts import Effect
from auditor.resolve import resolve

REPO = Path(__file__).resolve().parents[2]
CORPUS = sorted(p for p in (REPO / "tests" / "corpus").iterdir() if p.is_dir() and not p.name.startswith("_"))


def plain_propagate_effects(self: flow._Analysis) -> None:
    effects = self.effects
    for qual, entries in self.sites.items():
        for call, _, tags in entries:
            for tag in tags:
                fixpoint.offer(effects[qual], Effect(tag, call, (), self.guards_of(call)))
        for call, _from_resume, from_disc in self.loads.get(qual, []):
            if from_disc:
                fixpoint.offer(effects[qual], Effect(flow.AUTORESUME, call))

    def step() -> bool:
        changed = False
        for qual, entries in self.sites.items():
            for call, targets, _ in entries:
                for t in targets:
                    for tag, eff in list(effects.get(t, {}).items()):
                        short_t = t.split("::")[-1]
                        if short_t not in eff.via:
                            changed |= fixpoint.offer(effects[qual], Effect(tag, eff.site, (short_t,) + eff.via,
                                                                         self.guards_of(call) + eff.guards))
        return changed

    n = len(self.fscans)
    fixpoint.until_stable(step, n * len(flow._TAGS) * 4 * (n + 1), "the effects reached through helpers")
    self.ev.effects = {q: tuple(sorted(e.values(), key=lambda x: x.tag)) for q, e in effects.items() if e}


def plain_find_restorers(self: flow._Analysis) -> None:
    def step() -> bool:
        size = len(self.restorers)
        for qual, (_scan, fs) in self.fscans.items():
            if qual in self.restorers or qual not in self.ev.functions:
                continue
            params = {p.name for p in self.ev.functions[qual].params} - {"self", "cls"}
            passed = flow._parameter_flow(qual, fs, params)
            if passed and any(self.is_restore(qual, i) and flow._argument_names(node) & passed
                              for i, (_call, node) in enumerate(fs.calls)):
                self.restorers.add(qual)
        return len(self.restorers) != size

    fixpoint.until_stable(step, len(self.fscans), "the functions that restore from a parameter")


def code_column_of(root: Path) -> object:
    return evcodec.encode(code_column.collect(resolve(load_config(root))))


@pytest.mark.parametrize("root", [REPO, *CORPUS], ids=lambda p: p.name)
def test_the_code_column_is_the_one_the_plain_passes_give(root, monkeypatch):
    monkeypatch.setenv("AUDIT_NO_CACHE", "1")
    found = code_column_of(root)
    monkeypatch.setattr(flow._Analysis, "propagate_effects", plain_propagate_effects)
    monkeypatch.setattr(flow._Analysis, "find_restorers", plain_find_restorers)
    assert found == code_column_of(root)


def test_the_comparison_sees_effects_reached_through_helpers():
    # this repository's trainer saves through helpers: witnesses passed up a call chain are compared
    ev = code_column.collect(resolve(load_config(REPO)))
    assert any(e.via for effects in ev.effects.values() for e in effects)
