"""`audit gate NAME`: run the required tests and the drill, audit, and enforce a checklist.

The checklist is data: `<rules folder>/gates/NAME.yaml` (schema: gates/schema.json of the built-in rules).
Each item is answered by

- `rules: [ids]`      each rule passes, or is waived;
- `tests: [names]`    each named test exists and passed;
- `check: required-tests`  every test the gate selected passed: the tests that the gate's
  rules name (`tests.required_tests_passed`), those their keywords select among tests that
  drive training (`tests.behaviour_tested`), and those `tests:` items name;
- `check: drill`      an `audit drill` passed: run now (`--drill`, the default), or read
  from the newest result (`--no-drill`: <run>/drill.json, else artifacts/drill/latest.json)
  when it was made at the current git commit. Without a result the item is NO EVIDENCE,
  which fails the gate: nothing passes unseen.

The gate runs pytest on the selected tests itself (its JUnit XML goes to a temporary file
that the audit then reads) unless `--skip-tests`, when the configured (or `--junit`) JUnit
files are used. Gated rules that no item names become items of their own, and an expired
waiver fails the gate. Exit 0 only when every item passes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import jsonschema
import yaml

from auditor import safeio
from auditor.config import ProjectConfig
from auditor.drill.result import DrillRecord, DrillRecordError, read_record, record_of, result_paths
from auditor.model import COLUMN_TITLES, FAIL, NO_EVIDENCE, PASS
from auditor.rules import BUILTIN_RULES, LintError, Rule, _node_at



class GateError(Exception):
    """A checklist that cannot be used, or a gate with nothing in it (exit 2)."""

    def __init__(self, errors: list[LintError]) -> None:
        self.errors = errors
        super().__init__("\n".join(map(str, errors)))


@dataclass(frozen=True)
class Item:
    """One item of a gate's checklist: its title, its kind and the rules or tests it names."""

    title: str
    kind: str  # rules | tests | required-tests | drill
    rules: tuple[str, ...] = ()
    tests: tuple[str, ...] = ()


@dataclass(frozen=True)
class Checklist:
    """A gate's checklist, read from gates/NAME.yaml or made from the gated rules."""

    gate: str
    title: str
    items: tuple[Item, ...]
    path: Path | None = None  # None: made from the gated rules


@dataclass(frozen=True)
class ItemResult:
    """How one checklist item came out: pass, fail or no evidence, with the lines that show why."""

    title: str
    kind: str
    status: str  # pass | fail | no evidence
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True)
class TestRun:
    """The gate's own pytest run."""

    ids: tuple[str, ...]
    exit_code: int | None  # None: timed out
    counts: dict[str, int] = field(default_factory=dict)
    failing: tuple[str, ...] = ()
    output_tail: str = ""


@dataclass(frozen=True)
class GateResult:
    """One gate run: its checklist, each item's result, the audit behind them and how tests and drill were obtained."""

    checklist: Checklist
    items: tuple[ItemResult, ...]
    audit: Any  # the AuditResult
    notes: tuple[str, ...] = ()  # how tests and drill were obtained

    @property
    def passed(self) -> bool:
        return all(i.status == PASS for i in self.items)

    @property
    def exit_code(self) -> int:
        return 0 if self.passed else 1

    @property
    def failing(self) -> tuple[str, ...]:
        return tuple(i.title for i in self.items if i.status != PASS)


SCHEMA_PATH = BUILTIN_RULES / "gates" / "schema.json"


# ----------------------------------------------------------------------------- the checklist


@lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


def _line(node: yaml.Node | None) -> int | None:
    return node.start_mark.line + 1 if node is not None else None


def _default(gate: str, rules: Sequence[Rule]) -> Checklist:
    items = tuple(Item(title=r.title, kind="rules", rules=(r.id,)) for r in rules if gate in r.gates)
    return Checklist(gate=gate, title=f"Gate {gate}", items=items)


def load_checklist(rules_dir: str | Path, gate: str, rules: Sequence[Rule]) -> Checklist:
    """The checklist of `gate` from <rules_dir>/gates/<gate>.yaml, else one item per gated rule.

    Gated rules no item names are appended as items. GateError lists problems with file:line.
    """
    path = Path(rules_dir) / "gates" / f"{gate}.yaml"
    if not path.is_file():
        return _default(gate, rules)
    try:
        doc = safeio.read_yaml(path, within=safeio.Root(Path(rules_dir), "the rules folder"), shown=str(path))
        root, data = doc.node, doc.data
    except safeio.ReadRefused as exc:
        raise GateError([LintError(path, exc.line, exc.why)]) from None
    except safeio.READ_ERRORS as exc:
        raise GateError([LintError(path, None, safeio.describe(exc, str(path)).split(": ", 1)[1])]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise GateError([LintError(path, mark.line + 1 if mark else None,
                                   f"invalid YAML: {getattr(exc, 'problem', None) or exc}")]) from None
    errors: list[LintError] = []
    for err in sorted(_validator().iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        where = list(err.absolute_path)
        name = ".".join(map(str, where)) or "(top level)"
        if err.validator == "additionalProperties" and isinstance(err.instance, dict):
            allowed = ", ".join(sorted(err.schema.get("properties", {})))
            for extra in sorted(set(err.instance) - set(err.schema.get("properties", {}))):
                errors.append(LintError(path, _line(_node_at(root, where + [extra], key_node=True)),
                                        f"unknown key {extra!r} in {name} (allowed: {allowed})"))
            continue
        errors.append(LintError(path, _line(_node_at(root, where)), f"{name}: {err.message}"))
    if errors:
        raise GateError(errors)
    if data["gate"] != gate:
        raise GateError([LintError(path, _line(_node_at(root, ["gate"])),
                                   f"gate: {data['gate']!r} does not match the file name {path.name}")])
    known = {r.id for r in rules}
    items: list[Item] = []
    for i, spec in enumerate(data["items"]):
        given = [k for k in ("rules", "tests", "check") if k in spec]
        if len(given) != 1:
            errors.append(LintError(path, _line(_node_at(root, ["items", i])),
                                    f"items.{i}: needs exactly one of rules, tests, check (has {', '.join(given) or 'none'})"))
            continue
        for rid in spec.get("rules", []):
            if rid not in known:
                errors.append(LintError(path, _line(_node_at(root, ["items", i, "rules"])),
                                        f"items.{i}.rules: unknown rule id {rid!r}"))
        kind = given[0] if given[0] != "check" else spec["check"]
        items.append(Item(title=spec["title"], kind=kind, rules=tuple(spec.get("rules", ())),
                          tests=tuple(spec.get("tests", ()))))
    if errors:
        raise GateError(errors)
    named = {rid for it in items for rid in it.rules}
    items += [Item(title=r.title, kind="rules", rules=(r.id,)) for r in rules if gate in r.gates and r.id not in named]
    return Checklist(gate=gate, title=data["title"], items=tuple(items), path=path)


def lint_checklists(rules_dir: str | Path) -> list[LintError]:
    """Every problem in <rules_dir>/gates/*.yaml (for `audit rules lint`); none when the rules do not load."""
    from auditor.rules import RulesError, load_rules

    folder = Path(rules_dir) / "gates"
    if not folder.is_dir():
        return []
    try:
        rules = load_rules(rules_dir)
    except RulesError:
        return []  # lint_rules reports those
    errors: list[LintError] = []
    for path in sorted(folder.glob("*.yaml")):
        try:
            load_checklist(rules_dir, path.stem, rules)
        except GateError as exc:
            errors += exc.errors
    return errors


# ----------------------------------------------------------------------------- tests


def required_test_names(rules: Iterable[Rule], checklist: Checklist,
                        config: ProjectConfig | None = None) -> tuple[list[str], list[str], list[str]]:
    """(test names, keywords, effects) the gate's rules, the project's `required_tests` and the
    checklist's `tests:` items ask for."""
    names: list[str] = []
    keywords: list[str] = []
    effects: list[str] = []
    gated = {rid for it in checklist.items for rid in it.rules}
    for rule in rules:
        if rule.id not in gated:
            continue
        if config is not None:
            names += [n for n in config.required_tests_for(rule.id) if n not in names]
        for col in rule.columns.values():
            if col.probe == "tests.required_tests_passed":
                names += [n for n in col.params.get("tests", ()) if n not in names]
            elif col.probe == "tests.behaviour_tested":
                keywords += [k for k in col.params.get("keywords", ()) if k not in keywords]
            elif col.probe == "tests.effect_tested" and col.params.get("effect") not in effects:
                effects.append(col.params.get("effect"))
    for it in checklist.items:
        names += [n for n in it.tests if n not in names]
    return names, keywords, effects


def select_tests(te: Any, names: Sequence[str], keywords: Sequence[str], effects: Sequence[str] = ()) -> tuple[str, ...]:
    """Node ids: the named tests, and tests that drive training and mention a keyword or assert on an effect."""
    ids: list[str] = []
    for name in names:
        ids += [t.id for t in te.named(name) if t.id not in ids]
    for t in te.tests:
        if t.drives_entry and t.id not in ids and (any(t.mentions(k) for k in keywords)
                                                   or set(effects) & set(getattr(t, "effects", ()))):
            ids.append(t.id)
    return tuple(ids)


def run_pytest(root: Path, ids: Sequence[str], junit_xml: Path, timeout_s: float | None) -> TestRun:
    """Run pytest on `ids` in `root` with this interpreter, JUnit XML to `junit_xml`."""
    from auditor.junit import JUnitError, count_outcomes, read_junit

    # -m "" lifts a project's marker filter (e.g. addopts = -m "not slow"): the gate runs what it names
    cmd = [sys.executable, "-m", "pytest", *ids, f"--junitxml={junit_xml}", "-q", "-p", "no:cacheprovider", "-m", ""]
    try:
        proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True, timeout=timeout_s,
                              env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
        code: int | None = proc.returncode
        output = proc.stdout + proc.stderr
    except subprocess.TimeoutExpired as exc:
        code = None
        output = (exc.stdout or b"").decode(errors="replace") if isinstance(exc.stdout, bytes) else (exc.stdout or "")
    counts: dict[str, int] = {}
    failing: list[str] = []
    if junit_xml.is_file():
        try:
            cases = read_junit(junit_xml)
            counts = count_outcomes(cases)
            failing = [c.id for c in cases if c.outcome not in ("passed", "skipped")]
        except JUnitError:
            pass
    return TestRun(ids=tuple(ids), exit_code=code, counts=counts, failing=tuple(failing),
                   output_tail="\n".join(output.strip().splitlines()[-15:]))


def _counts_text(counts: dict[str, int]) -> str:
    parts = [f"{counts[k]} {k.replace('_', ' ')}" for k in ("passed", "failed", "errors", "timed_out", "skipped")
             if counts.get(k)]
    return ", ".join(parts) or "no results"


# ----------------------------------------------------------------------------- drill


def _git_head(root: Path) -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def _drill_item(title: str, record: DrillRecord, source: str) -> ItemResult:
    lines = [f"{source}: verdict {record.verdict}, finished {record.finished_at}"]
    for check in record.checks:
        lines.append(f"{check.verdict}: {check.title}")
        lines += [f"  {e}" for e in check.evidence[:5]]
    return ItemResult(title, "drill", PASS if record.verdict == PASS else FAIL, tuple(lines))


def existing_drill(root: Path, run_dir: Path | None) -> tuple[DrillRecord | None, str]:
    """The newest drill result made at the current commit, or None and why not."""
    head = _git_head(root)
    for path, _base in result_paths(root, run_dir):
        if not path.is_file():
            continue
        try:
            record = read_record(path)
        except DrillRecordError as exc:
            return None, str(exc)
        made_at = record.code_version
        if head and made_at and made_at != head:
            return None, f"{path}: made at commit {made_at[:12]}, not the current {head[:12]}; run `audit drill` again"
        return record, str(path)
    return None, "no drill result (run `audit drill`, or the gate without --no-drill)"


def run_drill_now(root: Path, echo: Callable[[str], None]) -> tuple[DrillRecord | None, str]:
    """Run `audit drill` with the project's settings; its result is also written where the audit reads it."""
    from auditor import drill as drill_mod

    try:
        settings = drill_mod.resolve_settings(root)
        out = drill_mod.default_out(settings)
        drill_mod.check_out_path(out)
        result = drill_mod.run_drill(settings, echo=echo)
    except drill_mod.DrillUsageError as exc:
        return None, f"the drill could not run: {exc}"
    doc = drill_mod.to_json(result)
    drill_mod.write_result(out, doc)
    return record_of(doc, str(out)), str(out)


# ----------------------------------------------------------------------------- the gate


def _rules_item(item: Item, audit: Any) -> ItemResult:
    by_id = {rr.rule.id: rr for rr in audit.rules}
    lines: list[str] = []
    ok = True
    for rid in item.rules:
        rr = by_id[rid]
        if rr.waived:
            lines.append(f"{rid}: waived until {rr.waiver.expires}: {rr.waiver.justification}")
            continue
        if rr.waiver is not None and rr.waiver_expired:
            ok = False
            lines.append(f"{rid}: waiver expired on {rr.waiver.expires}")
        if rr.passed:
            lines.append(f"{rid}: every applicable column is YES")
            continue
        ok = False
        for g in rr.gaps:
            lines.append(f"{rid} / {COLUMN_TITLES[g.column]} {g.verdict.value.upper()}: {g.summary}")
    return ItemResult(item.title, item.kind, PASS if ok else FAIL, tuple(lines))


def _tests_item(item: Item, te: Any) -> ItemResult:
    lines: list[str] = []
    status = PASS
    for name in item.tests:
        found = te.named(name)
        if not found:
            lines.append(f"{name} does not exist")
            status = FAIL
            continue
        for t in found:
            lines.append(f"{t.id}: {t.outcome or 'no JUnit result'}")
            if t.outcome is None and status == PASS:
                status = NO_EVIDENCE
            elif t.outcome not in (None, "passed"):
                status = FAIL
    return ItemResult(item.title, item.kind, status, tuple(lines))


def _required_item(item: Item, names: Sequence[str], ids: Sequence[str], te: Any, run: TestRun | None) -> ItemResult:
    missing = [n for n in names if not te.named(n)]
    lines = [f"{n} does not exist" for n in missing]
    if not ids:
        return ItemResult(item.title, item.kind, FAIL, tuple(lines + ["no required test found to run"]))
    if run is not None:
        if run.exit_code is None:
            return ItemResult(item.title, item.kind, FAIL, tuple(lines + ["pytest timed out", run.output_tail]))
        lines.append(f"pytest on {len(ids)} test(s): {_counts_text(run.counts)} (exit {run.exit_code})")
        lines += [f"  failed: {f}" for f in run.failing]
        if run.exit_code != 0 and not run.failing:
            lines += run.output_tail.splitlines()
        ok = run.exit_code == 0 and not missing
        return ItemResult(item.title, item.kind, PASS if ok else FAIL, tuple(lines))
    selected = [t for t in te.tests if t.id in ids]
    outcomes = [t.outcome for t in selected]
    lines.append(f"from existing JUnit results: {sum(o == 'passed' for o in outcomes)} of {len(selected)} passed")
    lines += [f"  {t.outcome or 'no JUnit result'}: {t.id}" for t in selected if t.outcome != "passed"]
    if missing or any(o not in (None, "passed") for o in outcomes):
        return ItemResult(item.title, item.kind, FAIL, tuple(lines))
    return ItemResult(item.title, item.kind, NO_EVIDENCE if None in outcomes else PASS, tuple(lines))


def run_gate(
    project: str | Path = ".",
    *,
    gate: str = "prelaunch",
    run: str | Path | None = None,
    rules: str | Path | None = None,
    junit: Sequence[str] = (),
    waivers: str | Path | None = None,
    date: str | None = None,
    tests: bool = True,
    drill: bool = True,
    tests_timeout_s: float | None = 3600.0,
    echo: Callable[[str], None] = lambda _line: None,
) -> GateResult:
    """Run the gate's tests and drill, audit the project, and judge each checklist item.

    Raises ConfigError, RulesError, WaiverError, AuditInputError or GateError for bad input.
    """
    from auditor.config import load_config, with_junit
    from auditor.engine import AuditInputError, audit_project, resolve_rules_dir
    from auditor.evidence.tests import collect
    from auditor.rules import load_rules

    from auditor.resolve import resolve

    config = resolve(load_config(project))
    rules_dir = resolve_rules_dir(config, rules)
    loaded = load_rules(rules_dir)
    checklist = load_checklist(rules_dir, gate, loaded)
    if not checklist.items:
        raise GateError([LintError(rules_dir, None, f"gate {gate!r} has no checklist (gates/{gate}.yaml) and no rules")])
    if run is not None and not Path(run).is_dir():
        raise AuditInputError(f"run directory {run} does not exist")
    names, keywords, effects = required_test_names(loaded, checklist, config)
    ids = select_tests(collect(config), names, keywords, effects)
    notes: list[str] = []
    test_run: TestRun | None = None
    with tempfile.TemporaryDirectory(prefix="audit-gate-") as tmp:
        junit_files = [os.path.abspath(j) for j in junit]
        if tests and ids:
            echo(f"running {len(ids)} required test(s) with pytest ...")
            xml = Path(tmp) / "junit.xml"
            test_run = run_pytest(config.root, ids, xml, tests_timeout_s)
            junit_files = [str(xml)]
            notes.append(f"tests: ran {len(ids)} selected test(s): {_counts_text(test_run.counts)}")
        elif tests:
            notes.append("tests: nothing to run (no required test found)")
        else:
            shown = ", ".join(junit) or ", ".join(config.junit)
            notes.append(f"tests: not run (--skip-tests); JUnit results from {shown}")
        run_path = Path(run) if run is not None else config.default_run_dir()
        if drill:
            if any(it.kind == "drill" for it in checklist.items):
                echo("running audit drill ...")
                drill_doc, drill_source = run_drill_now(config.root, echo)
                notes.append(f"drill: ran now -> {drill_source}")
            else:
                drill_doc, drill_source = None, "not in the checklist"
        else:
            drill_doc, drill_source = existing_drill(config.root, run_path)
            notes.append(f"drill: not run (--no-drill); {'using ' + drill_source if drill_doc else drill_source}")
        audit = audit_project(project, run=run, junit=junit_files, rules=rules, gate=gate, date=date, waivers=waivers)
        te = collect(with_junit(config, junit_files) if junit_files else config)
    items: list[ItemResult] = []
    for item in checklist.items:
        if item.kind == "rules":
            items.append(_rules_item(item, audit))
        elif item.kind == "tests":
            items.append(_tests_item(item, te))
        elif item.kind == "required-tests":
            items.append(_required_item(item, names, ids, te, test_run))
        elif drill_doc is not None:
            items.append(_drill_item(item.title, drill_doc, drill_source))
        else:
            items.append(ItemResult(item.title, "drill", NO_EVIDENCE, (drill_source,)))
    for rid, expires in audit.summary.expired_waivers:
        if not any(rid in it.rules for it in checklist.items):
            items.append(ItemResult(f"Waiver of {rid} is current", "rules", FAIL, (f"expired on {expires}",)))
    return GateResult(checklist=checklist, items=tuple(items), audit=audit, notes=tuple(notes))
