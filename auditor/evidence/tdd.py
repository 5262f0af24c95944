"""TDD evidence: red / green / refactor artifacts, in time order.

Four formats are read: the JSON records `audit tdd record` writes (`*-<phase>.json`,
format audit-tdd/1, next to their JUnit XML), JUnit XML saved per phase (`red.xml`, ...),
plain pytest text output saved by hand (`*red*.txt`, `*green*.txt`, `*refactor*.txt`), and a
journal: one text file whose sections each start with a header naming the phase (and, dated,
the time: `=== red | keep-last-3 | 2026-12-02 18:19:50 UTC | pytest ...`), one record per section.

An artifact's time is what it says itself: the record's `finished_at`, the JUnit testsuite's
`timestamp`, a date in the text (a `date` line before the pytest output, an ISO stamp), else a
timestamp in its file name; when the project root is itself a git repository, the commit
that added the file. Only then its mtime, flagged (`time_source == "mtime"`): a checkout or
a copy sets mtimes, so they order nothing. Each artifact keeps the line its time (or its
summary) was read from, for the citation.
"""

from __future__ import annotations

import calendar
import os
import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from auditor import rxcache, safeio
from auditor.config import ProjectConfig
from auditor.discovery import journal_phase
from auditor.evidence import githistory, timestamps

MAX_ARTIFACT_BYTES = 5_000_000
PHASES = ("red", "green", "refactor")
_PHASE_RE = rxcache.compile(r"(?:^|[-_.])(red|green|refactor)(?:[-_.]|$)", re.I)
_STAMP_RES = (
    (rxcache.compile(r"(\d{8})T(\d{6})Z"), "%Y%m%d%H%M%S"),
    (rxcache.compile(r"(\d{8})[_-](\d{6})(?!\d)"), "%Y%m%d%H%M%S"),
    (rxcache.compile(r"(\d{8})[_-](\d{4})(?!\d)"), "%Y%m%d%H%M"),
)
_SUMMARY_COUNT = rxcache.compile(r"(\d+) (failed|passed|errors?|skipped|xfailed|xpassed|deselected)")
_SUMMARY_LINE = rxcache.compile(r"^=*\s*((?:\d+ \w+(?:, )?)+)(?: in [\d.]+s.*?)?\s*=*$")
_FAILED = rxcache.compile(r"^(FAILED|ERROR) (\S+::\S+|\S+\.py)(?: - (.*))?$")
_VERBOSE = rxcache.compile(r"^(\S+::\S+) (PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS)\b")
# pytest-timeout's banner and failure text, subprocess/asyncio time-outs; not the plugin list
# unittest's output: `Ran 3 tests in 0.004s`, then `OK` or `FAILED (failures=1, errors=1)`
_UNITTEST_RAN = rxcache.compile(r"^Ran (\d+) tests? in [\d.]+s$")
_UNITTEST_END = rxcache.compile(r"^(?:OK|FAILED)(?: \(([^)]*)\))?$")
_UNITTEST_CASE = rxcache.compile(r"^(?:FAIL|ERROR): (\w+) \(([\w.]+)\)")
_TIMEOUT = rxcache.compile(r"\+ Timeout \+|Failed: Timeout|Timeout >|TimeoutExpired|TimeoutError|timed out", re.I)


@dataclass(frozen=True)
class TddArtifact:
    """One TDD record or test output: its phase and feature, when it was made (and how that is known), its counts."""

    path: str  # relative to the project root
    kind: str  # "record" or "text"
    phase: str  # red | green | refactor
    feature: str
    time: float | None  # Unix seconds
    time_source: str  # "record", "junit", "text", "filename", "git" (the commit that added it) or "mtime"
    counts: dict[str, int]  # passed, failed, errors, skipped, timed_out
    failed: tuple[str, ...] = ()  # failing or erroring test ids
    passed: tuple[str, ...] = ()
    timed_out: tuple[str, ...] = ()
    exit_code: int | None = None
    summary: str = ""  # the summary line or the record's counts, as read
    line: int | None = None  # the line its time was read from, else its summary line
    commit: str = ""  # the commit that added it, when its time is from git

    @property
    def dated(self) -> bool:
        """Its time is its own (or its history's), not a file mtime: it can order a cycle."""
        return self.time is not None and self.time_source not in ("mtime", "none")

    @property
    def ok(self) -> bool:
        """Everything ran and passed: no failures, errors or time-outs, and something passed."""
        c = self.counts
        return c.get("passed", 0) > 0 and not (c.get("failed", 0) or c.get("errors", 0) or c.get("timed_out", 0))

    def names(self, ids: tuple[str, ...]) -> set[str]:
        """Bare test names (no path, class or parameters) of the given ids."""
        return {i.split("::")[-1].split("[")[0] for i in ids}


@dataclass
class TddEvidence:
    """The TDD artifacts found in the project's record folders, oldest first, and the files that could not be read."""

    root: Path
    locations: tuple[str, ...] = ()
    artifacts: tuple[TddArtifact, ...] = ()
    errors: tuple[str, ...] = ()
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def found(self) -> bool:
        return bool(self.artifacts)

    def features(self) -> dict[str, list[TddArtifact]]:
        out: dict[str, list[TddArtifact]] = {}
        for a in self.artifacts:
            out.setdefault(a.feature, []).append(a)
        return out


def collect(config: ProjectConfig) -> TddEvidence:
    root = config.root
    locations = config.tdd_artifacts
    ev = TddEvidence(root=root, locations=tuple(locations))
    candidates: list[str] = []  # by string, not pathlib, as _stem_and_suffix: a Path only for a file read
    for loc in locations:
        base = root / loc
        if base.is_dir():
            candidates += _listed(base)
        elif base.exists() or base.is_symlink():
            candidates.append(str(base))
    # JUnit XML saved per phase may have been found as test results: it is TDD evidence too
    candidates += [str(root / j) for j in config.junit if _phase(Path(j).name) and (root / j).is_file()]
    artifacts, errors = [], []
    within = safeio.project(root)
    prefix = str(root).rstrip("/") + "/"
    for whole in dict.fromkeys(candidates):
        rel = whole[len(prefix):] if whole.startswith(prefix) else whole
        name = os.path.basename(whole)
        suffix = _stem_and_suffix(name)[1]
        phase = _phase(name)
        journal = phase is None and suffix in (".txt", ".log", ".out")  # perhaps phases in sections
        if (phase is None and not journal) or (suffix == ".xml" and os.path.exists(whole[:-4] + ".json")):
            continue  # an audit tdd record's own JUnit file is read through the record
        path = Path(whole)
        try:
            text = safeio.read_text(path, within=within, cap=MAX_ARTIFACT_BYTES, shown=rel)
            if journal:
                artifacts += _from_journal(rel, path, text)
            elif path.suffix == ".json":
                artifacts.append(_from_record(rel, path, text))
            elif path.suffix == ".xml":
                artifacts.append(_from_junit(rel, path, text, phase))
            else:
                artifacts.append(_from_text(rel, path, text, phase))
        except (FileNotFoundError, NotADirectoryError):
            continue  # removed since the listing
        except safeio.READ_ERRORS as exc:  # a link out, a FIFO, deep JSON: one entry for this file
            errors.append(safeio.describe(exc, rel))
        except ValueError as exc:
            errors.append(f"{rel}: {exc}")
    artifacts = _dated_by_history(root, artifacts)
    artifacts.sort(key=lambda a: (a.time is None, a.time or 0, PHASES.index(a.phase), a.path))
    ev.artifacts = tuple(artifacts)
    ev.errors = tuple(errors)
    return ev


def _listed(base: Path) -> list[str]:
    """The files under `base` with a suffix a record may have, as Path.rglob("*") lists them (folders
    reached through a link are not entered), in Path order: by os.walk, whose listing tells a folder
    without a stat per file, and by parts, without Path's own comparison (a tenth of the time)."""
    found = [os.path.join(folder, name) for folder, _folders, files in os.walk(base) for name in files
             if os.path.splitext(name)[1] in _RECORD_SUFFIXES]
    return sorted(found, key=_parts)


_RECORD_SUFFIXES = frozenset((".json", ".txt", ".log", ".xml"))


def _parts(path: str) -> list[str]:
    return path.split(os.sep)  # Path.parts, but '' for the root '/': the same first part for every path listed


def _phase(name: str) -> str | None:
    m = _PHASE_RE.search(_stem_and_suffix(name)[0])
    return m.group(1).lower() if m else None


def _stem_and_suffix(name: str) -> tuple[str, str]:
    """Path(name).stem and .suffix, without a Path: a project may hold a thousand records."""
    dot = name.rfind(".")
    return (name[:dot], name[dot:]) if 0 < dot < len(name) - 1 else (name, "")


def _name_time(name: str) -> float | None:
    for rx, fmt in _STAMP_RES:
        m = rx.search(name)
        if m:
            try:
                return float(calendar.timegm(datetime.strptime(m.group(1) + m.group(2), fmt).timetuple()))
            except ValueError:
                continue
    return None


def _iso_time(value: Any) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


_TDD_PREFIX = rxcache.compile(r"^(tdd|test)_", re.I)
_ONLY_DIGITS = rxcache.compile(r"^\d+$")


def _feature(path: Path) -> str:
    """The feature a record is for: its name less phase, stamps and ordinals, else its folder's name
    (`tdd/keep-last/red.xml` and `tdd/split-check/1-red.xml` name theirs by folder)."""
    text = _PHASE_RE.sub("_", path.stem)
    for rx, _ in _STAMP_RES:
        text = rx.sub("", text)
    text = _TDD_PREFIX.sub("", text.strip("-_."))
    text = _ONLY_DIGITS.sub("", text.strip("-_."))
    return text or (path.parent.name if path.parent.name not in ("", ".") else "(unnamed)")


def _dated_by_history(root: Path, artifacts: list[TddArtifact]) -> list[TddArtifact]:
    """Artifacts with no time of their own, dated by the commit that added them (the project's own repository)."""
    undated = [a.path for a in artifacts if not a.dated]
    history = githistory.added(root, undated) if undated else {}
    return [replace(a, time=history[a.path].time, time_source="git", commit=history[a.path].commit)
            if a.path in history else a for a in artifacts]


def _line_of(text: str, needle: str) -> int | None:
    at = text.find(needle)
    return text.count("\n", 0, at) + 1 if at >= 0 else None


def _from_record(rel: str, path: Path, text: str) -> TddArtifact:
    try:
        data = safeio.parse_json(text, shown=rel)
    except safeio.ReadRefused as exc:
        raise ValueError(f"line {exc.line}: {exc.why}" if exc.line else exc.why) from None
    if not isinstance(data, dict) or data.get("format") != "audit-tdd/1":
        raise ValueError("not an audit-tdd/1 record (field 'format')")
    phase = data.get("phase")
    if phase not in PHASES:
        raise ValueError(f"field 'phase' is {phase!r}, expected red, green or refactor")
    counts_in = data.get("counts") or {}
    if not isinstance(counts_in, dict):
        raise ValueError("field 'counts' must be an object")
    counts = {}
    for k in ("passed", "failed", "errors", "skipped", "timed_out"):
        value = counts_in.get(k, 0)
        if value is None:
            value = 0
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"field 'counts.{k}' must be a whole number >= 0, got {value!r}")
        counts[k] = value
    tests = data.get("tests") or []
    if not isinstance(tests, list):
        raise ValueError("field 'tests' must be a list")
    by_outcome: dict[str, list[str]] = {}
    for t in tests:  # json.loads makes exact dicts and strings: a class test is isinstance here
        if t.__class__ is dict:
            test_id, outcome = t.get("id"), t.get("outcome")
            if test_id.__class__ is str:
                by_outcome.setdefault(outcome if outcome.__class__ is str else str(outcome), []).append(test_id)
    finished = _iso_time(data.get("finished_at"))
    time = finished or _iso_time(data.get("started_at"))
    source = "record"
    line = _line_of(text, '"finished_at"') if finished else _line_of(text, '"started_at"')
    if time is None:
        time, source = _fallback_time(path)
        line = _line_of(text, '"counts"')
    return TddArtifact(
        path=rel, kind="record", phase=phase, feature=str(data.get("feature") or _feature(path)), time=time,
        time_source=source, counts=counts,
        failed=tuple(by_outcome.get("failed", []) + by_outcome.get("error", [])),
        passed=tuple(by_outcome.get("passed", [])), timed_out=tuple(by_outcome.get("timed_out", [])),
        exit_code=data.get("exit_code") if isinstance(data.get("exit_code"), int) else None,
        summary=", ".join(f"{v} {k}" for k, v in counts.items() if v), line=line or 1)


def _fallback_time(path: Path) -> tuple[float | None, str]:
    t = _name_time(path.name)
    if t is not None:
        return t, "filename"
    try:
        return path.stat().st_mtime, "mtime"
    except OSError:
        return None, "none"


def _from_text(rel: str, path: Path, text: str, phase: str) -> TddArtifact:
    lines = text.splitlines()
    counts = {"passed": 0, "failed": 0, "errors": 0, "skipped": 0, "timed_out": 0}
    summary = ""
    summary_line = None
    for number in range(len(lines), 0, -1):
        stripped = lines[number - 1].strip()
        if _SUMMARY_LINE.match(stripped) and _SUMMARY_COUNT.search(stripped):
            summary, summary_line = stripped.strip("= "), number
            for n, word in _SUMMARY_COUNT.findall(stripped):
                key = {"error": "errors", "xfailed": "skipped", "xpassed": "passed"}.get(word, word)
                if key in counts:
                    counts[key] += int(n)
            break
    failed: list[str] = []
    timed: list[str] = []
    passed: list[str] = []
    for line in lines:
        m = _FAILED.match(line.strip())
        if m:
            if m.group(2) not in failed:
                failed.append(m.group(2))
            if m.group(3) and _TIMEOUT.search(m.group(3)) and m.group(2) not in timed:
                timed.append(m.group(2))
            continue
        v = _VERBOSE.match(line.strip())
        if v and v.group(2) == "PASSED" and v.group(1) not in passed:
            passed.append(v.group(1))
        elif v and v.group(2) in ("FAILED", "ERROR") and v.group(1) not in failed:
            failed.append(v.group(1))
    if not timed and any(_TIMEOUT.search(line) for line in lines):
        timed = [f for f in failed] or ["(unnamed test)"]
    if timed:
        counts["timed_out"] = len(timed)
        counts["failed"] = max(0, counts["failed"] - sum(1 for t in timed if t in failed))
    if not summary and (failed or passed):
        counts["failed"] = max(counts["failed"], len(failed) - len(timed))
        counts["passed"] = max(counts["passed"], len(passed))
    if not summary and not failed and not passed:
        summary, summary_line, counts, failed = _unittest(lines, counts)
    time, line = _text_time(lines)
    source = "text"
    if time is None:
        (time, source), line = _fallback_time(path), summary_line
    return TddArtifact(path=rel, kind="text", phase=phase, feature=_feature(path), time=time,
                       time_source=source, counts=counts, failed=tuple(failed), passed=tuple(passed),
                       timed_out=tuple(timed), summary=summary, line=line or summary_line or 1)


def _unittest(lines: list[str], counts: dict[str, int]) -> tuple[str, int | None, dict[str, int], list[str]]:
    """unittest's summary, its line, counts and failing tests (`module.Class::name`), when the text
    is unittest's output: `Ran N tests in Xs`, then `OK` or `FAILED (failures=1, errors=1)`."""
    stripped = [line.strip() for line in lines]
    ran_at = next((i for i, line in enumerate(stripped) if _UNITTEST_RAN.match(line)), None)
    end_at = next((i for i in range(ran_at + 1, len(stripped)) if _UNITTEST_END.match(stripped[i])), None) \
        if ran_at is not None else None
    if ran_at is None or end_at is None:
        return "", None, counts, []
    ran = int(_UNITTEST_RAN.match(stripped[ran_at]).group(1))
    said = {k.strip(): int(v) for k, v in re.findall(r"([\w ]+)=(\d+)", _UNITTEST_END.match(stripped[end_at]).group(1) or "")}
    counts = dict(counts, failed=said.get("failures", 0) + said.get("unexpected successes", 0),
                  errors=said.get("errors", 0), skipped=said.get("skipped", 0) + said.get("expected failures", 0))
    counts["passed"] = max(0, ran - counts["failed"] - counts["errors"] - counts["skipped"])
    failed: list[str] = []
    for m in filter(None, map(_UNITTEST_CASE.match, stripped)):
        name, where = m.group(1), m.group(2)
        owner = where[: -len(name) - 1] if where.endswith("." + name) else where  # 3.11+ adds the name
        failed.append(f"{owner}::{name}")
    return f"{stripped[ran_at]}, {stripped[end_at]}", end_at + 1, counts, list(dict.fromkeys(failed))


def _from_journal(rel: str, path: Path, text: str) -> list[TddArtifact]:
    """A journal's sections, one artifact each: a header naming the phase (and, when it is
    dated, the time), then that run's pytest output. Each is cited at its header's line."""
    lines = text.splitlines()
    heads = [(i, phase) for i, line in enumerate(lines) if (phase := journal_phase(line))]
    out = []
    for k, (i, phase) in enumerate(heads):
        end = heads[k + 1][0] if k + 1 < len(heads) else len(lines)
        art = _from_text(rel, path, "\n".join(lines[i:end]), phase)
        out.append(replace(art, feature=_journal_feature(lines[i], path), line=i + (art.line or 1)))
    return out


_STAMP_TEXT = rxcache.compile(r"\d{4}-\d\d-\d\d(?:[T ][\d:.]+)?\s*(?:UTC|GMT|Z|[+-]\d\d:?\d\d)?|\b\d{1,2}:\d\d(?::\d\d)?\b")


def _journal_feature(header: str, path: Path) -> str:
    """The feature a journal's section is for: what its header says besides the phase, the date
    and the command (`=== red | keep-last-3 | 2026-12-02 ... | pytest ...` is keep-last-3)."""
    text = re.split(r"\b(?:pytest|python\S*|\.venv\S*)\b|\$ ", header, maxsplit=1)[0]
    text = _STAMP_TEXT.sub(" ", re.sub(r"\b(?:red|green|refactor)\b", " ", text, count=1, flags=re.I))
    parts = [p.strip(" =#*[]()-:|,.\t") for p in re.split(r"[|\]\[()]|\s[-:]\s", text)]
    named = [p for p in parts if p and not re.fullmatch(r"(?i)phase|tdd|run|step", p)]
    return named[0] if named else _feature(path)


TEXT_DATE_LINES = 12  # a date printed before or after the pytest output, or in its header


def _text_time(lines: list[str]) -> tuple[float | None, int | None]:
    """A date the output carries itself (`date; pytest ...`, a logged ISO stamp), with its line number."""
    numbered = list(enumerate(lines, start=1))
    for number, line in numbered[:TEXT_DATE_LINES] + numbered[-3:]:
        t = timestamps.parse(line)
        if t is not None:
            return t, number
    return None, None


def _from_junit(rel: str, path: Path, text: str, phase: str) -> TddArtifact:
    """A JUnit XML file saved for one phase: its counts, failing ids and the testsuite's timestamp."""
    try:
        root = SafeET.fromstring(text.encode("utf-8"))
    except (DefusedXmlException, SafeET.ParseError, RecursionError) as exc:
        raise ValueError(f"not a safe, well-formed JUnit XML file ({exc})") from None
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    if not suites:
        raise ValueError("no <testsuite> element")
    failed: list[str] = []
    passed: list[str] = []
    counts = {"passed": 0, "failed": 0, "errors": 0, "skipped": 0, "timed_out": 0}
    for case in root.iter("testcase"):
        tid = f"{case.get('classname', '')}::{case.get('name', '')}".lstrip(":")
        kind = next((k for k in ("failure", "error", "skipped") if case.find(k) is not None), "passed")
        key = {"failure": "failed", "error": "errors"}.get(kind, kind)
        counts[key] += 1
        (failed if key in ("failed", "errors") else passed if key == "passed" else []).append(tid)
    stamp = next((s.get("timestamp") for s in suites if s.get("timestamp")), None)
    time = timestamps.parse(stamp) if stamp else None
    source, line = "junit", _line_of(text, f'timestamp="{stamp}"') if stamp else None
    if time is None:
        (time, source), line = _fallback_time(path), _line_of(text, "<testsuite")
    return TddArtifact(path=rel, kind="junit", phase=phase, feature=_feature(path), time=time,
                       time_source=source, counts=counts, failed=tuple(failed), passed=tuple(passed),
                       summary=", ".join(f"{v} {k}" for k, v in counts.items() if v), line=line or 1)
