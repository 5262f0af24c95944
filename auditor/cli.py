"""The `audit` command line: thin commands over the library.

Exit codes: 0 compliant (or nothing wrong), 1 non-compliant, 2 usage or bad input (config,
rules, missing paths), 3 internal error.
"""

import contextlib
import functools
import gc
import os
import sys
from pathlib import Path
from typing import Any, Callable, Iterator

from auditor import rxcache

# before click and PyYAML are imported: the patterns they compile on import come compiled
rxcache.seed_libraries()

import click  # noqa: E402

from auditor import colcache  # noqa: E402

EXIT_USAGE, EXIT_INTERNAL = 2, 3
GC_THRESHOLD = 0  # while a command works: no automatic collection (gc.set_threshold(0); Python's default: 700)


class InputProblem(click.ClickException):
    """Bad input (configuration, rules, paths): exit 2 with a readable sentence."""

    exit_code = EXIT_USAGE


def _guarded(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn domain errors into exit 2 and anything unexpected into exit 3 (never a traceback)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if isinstance(kwargs.get("project"), str):  # before the evidence modules compile their patterns
            colcache.open_session(kwargs["project"])
            rxcache.open()
        try:
            with _few_collections():
                return fn(*args, **kwargs)
        except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit):
            raise
        except Exception as exc:  # noqa: BLE001  (exit 3 is the contract for bugs)
            rules_error = _loaded("auditor.rules", "RulesError")
            if rules_error and isinstance(exc, rules_error):
                n = len(exc.errors)  # type: ignore[attr-defined]
                raise InputProblem(f"{n} error{'s' if n != 1 else ''} in the rule files:\n{exc}") from None
            if isinstance(exc, tuple(c for c in (_loaded(*e) for e in _INPUT_ERRORS) if c is not None)):
                raise InputProblem(str(exc)) from None
            click.echo(f"audit: internal error: {type(exc).__name__}: {exc}", err=True)
            sys.exit(EXIT_INTERNAL)
        finally:
            rxcache.save()

    return wrapper


# Domain errors that are bad input (exit 2), by module. Only a module that was imported can have
# raised its error, so none is imported here: `audit check` would load the gate, the drill and
# the rest for their exception classes alone (30 ms of its start).
_INPUT_ERRORS = (("auditor.config", "ConfigError"), ("auditor.engine", "AuditInputError"),
                 ("auditor.waivers", "WaiverError"), ("auditor.compare", "CompareInputError"),
                 ("auditor.gate", "GateError"), ("auditor.init_config", "InitError"),
                 ("auditor.derive", "DeriveError"))


def _loaded(module: str, name: str) -> type | None:
    """The class `name` of `module` if that module has been imported, else None."""
    loaded = sys.modules.get(module)
    return getattr(loaded, name, None) if loaded is not None else None


@contextlib.contextmanager
def _few_collections() -> Iterator[None]:
    """No automatic cyclic garbage collection while a command works. An audit keeps a few hundred
    thousand syntax-tree nodes to its end, and the collector walked them over and over: at
    Python's default threshold (700 net allocations) a fifth of the CPU of an audit of this
    repository, at 100,000 still a tenth (docs/benchmarks.md). An audit makes little cyclic
    garbage (the code analysis holds no reference back to itself: 8,000 objects, 1 MB, for this
    repository), so nothing piles up; reference counting frees everything else at once. The
    caller's thresholds come back afterwards."""
    before = gc.get_threshold()
    gc.set_threshold(GC_THRESHOLD, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


@contextlib.contextmanager
def _collections_as_usual() -> Iterator[None]:
    """Python's default collection thresholds inside a command that runs for minutes (the drill
    watches a trainer), where even a little cyclic garbage a poll would pile up."""
    before = gc.get_threshold()
    gc.set_threshold(700, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _no_cache(_ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:  # read by auditor.colcache, here and in any audit this process starts
        os.environ["AUDIT_NO_CACHE"] = "1"


def _audit_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--project", default=".", show_default=True, type=click.Path(file_okay=False),
                     help="Root of the project to audit."),
        click.option("--run", "run_dir", default=None, type=click.Path(),
                     help="Run directory to examine [default: the config's run_dir if it exists, else none]."),
        click.option("--junit", multiple=True, type=click.Path(),
                     help="JUnit XML results (repeatable; replaces the config's junit)."),
        click.option("--rules", "rules_dir", default=None, type=click.Path(file_okay=False),
                     help="Rules folder [default: the project's, else the built-in rules]."),
        click.option("--gate", default="prelaunch", show_default=True, help="Gate whose rules decide the exit code."),
        click.option("--date", default=None, help="Report date YYYY-MM-DD [default: SOURCE_DATE_EPOCH, else today UTC]."),
        click.option("--ascii", "ascii_", is_flag=True, help="Replace emoji with [YES]/[PART]/[NO]/[N/A]/[??]."),
        click.option("--waivers", default=None, type=click.Path(dir_okay=False),
                     help="Waivers file [default: the project's audit-waivers.yaml if it exists]."),
        click.option("--no-cache", is_flag=True, expose_value=False, callback=_no_cache, is_eager=True,
                     help="Read every source and test file afresh, keeping nothing (same as AUDIT_NO_CACHE=1; "
                          "the cache lives in AUDIT_CACHE_DIR, else ~/.cache/magvit-audit)."),
    ]
    for opt in reversed(options):
        fn = opt(fn)
    return fn


def _audit(project: str, run_dir: str | None, junit: tuple[str, ...], rules_dir: str | None, gate: str,
           date: str | None, waivers: str | None = None, verify_checksums: bool = False) -> Any:
    from auditor import engine

    return engine.audit_project(project, run=run_dir, junit=junit, rules=rules_dir, gate=gate, date=date,
                                waivers=waivers, verify_checksums=verify_checksums)


def _output_specs(specs: tuple[str, ...]) -> list[tuple[str, Path]]:
    """`--output FORMAT=PATH` values, checked before the audit runs (bad ones are exit 2)."""
    from auditor.render import FORMATS

    out = []
    for spec in specs:
        fmt, sep, path = spec.partition("=")
        if not sep or not path or fmt not in FORMATS:
            raise click.UsageError(f"--output {spec!r}: expected FORMAT=PATH with FORMAT one of {', '.join(FORMATS)}")
        out.append((fmt, Path(path)))
    return out


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        click.echo(text, nl=False)
        return
    from auditor.atomic import write_atomic

    write_atomic(output, text)
    click.echo(f"wrote {output}", err=True)


@click.group()
@click.version_option(package_name="magvit-audit")
def main() -> None:
    """Audit a training project against its process rules."""


@main.command()
@_audit_options
@click.option("--format", "fmt", type=click.Choice(["terminal", "json", "markdown", "md", "sarif", "junit"]),
              default="terminal", show_default=True)
@click.option("--output", "outputs", multiple=True, metavar="FORMAT=PATH",
              help="Also write FORMAT (json, markdown/md, sarif, junit, terminal) to PATH, atomically; repeatable.")
@click.option("--expect", type=click.Path(dir_okay=False), default=None,
              help="A committed result JSON: exit 1 when any verdict or the gate differs from it, else 0.")
@click.option("--verify-checksums", is_flag=True,
              help="Re-hash every checkpoint against its manifest's sha256 (reads all checkpoint bytes; "
                   "without it, sizes are checked and no checkpoint is read).")
@_guarded
def check(project: str, run_dir: str | None, junit: tuple[str, ...], rules_dir: str | None, gate: str,
          date: str | None, ascii_: bool, waivers: str | None, fmt: str, outputs: tuple[str, ...],
          expect: str | None, verify_checksums: bool) -> None:
    """Print the compliance matrix; exit 0 when every rule of the gate passes, 1 when not."""
    from auditor.render import render

    targets = _output_specs(outputs)
    expected = None
    if expect is not None:
        from auditor.compare import load_result

        expected = load_result(expect)
    result = _audit(project, run_dir, junit, rules_dir, gate, date, waivers, verify_checksums)
    texts = [(render(result, out_fmt, ascii=ascii_), path) for out_fmt, path in targets]
    for _text, path in texts:  # every target checked before any is written
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputProblem(f"--output {path}: cannot write there: {exc}") from None
        if path.is_dir():
            raise InputProblem(f"--output {path}: cannot write there: it is a directory")
    for text, path in texts:
        try:
            _emit(text, path)
        except OSError as exc:
            raise InputProblem(f"--output {path}: cannot write there: {exc}") from None
    click.echo(render(result, fmt, ascii=ascii_), nl=False)
    if expected is not None:
        from auditor.compare import compare
        from auditor.render.compare import render_differences
        from auditor.render.json import to_dict

        diffs = compare(expected, to_dict(result))
        click.echo(render_differences(diffs, expect, "this audit"), nl=False, err=True)
        sys.exit(1 if diffs else 0)
    sys.exit(result.exit_code)


@main.command()
@_audit_options
@click.option("--format", "fmt", type=click.Choice(["markdown", "md", "html", "json", "sarif", "junit"]),
              default="markdown", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the report to this file (atomically) instead of stdout.")
@click.option("--assets", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Also write the run timeline and training curves as SVG files into this folder; "
                   "the Markdown report links them.")
@_guarded
def report(project: str, run_dir: str | None, junit: tuple[str, ...], rules_dir: str | None, gate: str,
           date: str | None, ascii_: bool, waivers: str | None, fmt: str, output: Path | None,
           assets: Path | None) -> None:
    """Write the compliance report (Markdown or HTML): questions, matrix, gaps, checklist, assessment.

    HTML is one self-contained page that adds the run timeline and the training curves.
    Exits 0 once the report is written, whatever it says; use `audit check` to gate.
    """
    from auditor.engine import audit_with_evidence
    from auditor.report import report_text

    if assets is not None and fmt not in ("markdown", "md", "html"):
        raise click.UsageError("--assets goes with --format markdown or html")
    result, evidence = audit_with_evidence(project, run=run_dir, junit=junit, rules=rules_dir, gate=gate,
                                           date=date, waivers=waivers)
    text, files = report_text(result, evidence, fmt, ascii=ascii_, assets=assets, output=output)
    for path, svg in files.items():
        try:
            _emit(svg, path)
        except OSError as exc:
            raise InputProblem(f"--assets {assets}: cannot write {path.name} there: {exc}") from None
    _emit(text, output)


@main.command()
@click.argument("rule_id")
@_audit_options
@_guarded
def explain(rule_id: str, project: str, run_dir: str | None, junit: tuple[str, ...], rules_dir: str | None,
            gate: str, date: str | None, ascii_: bool, waivers: str | None) -> None:
    """Print one rule's evidence in full: every cell, every citation, the measured figures."""
    from auditor.render import render_explain

    result = _audit(project, run_dir, junit, rules_dir, gate, date, waivers)
    for rr in result.rules:
        if rr.rule.id == rule_id:
            click.echo(render_explain(rr, ascii=ascii_), nl=False)
            return
    known = ", ".join(rr.rule.id for rr in result.rules)
    raise InputProblem(f"no rule {rule_id!r} (known: {known})")


def _gate_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--project", default=".", show_default=True, type=click.Path(file_okay=False),
                     help="Root of the project to gate."),
        click.option("--run", "run_dir", default=None, type=click.Path(),
                     help="Run directory to examine [default: the config's run_dir if it exists, else none]."),
        click.option("--rules", "rules_dir", default=None, type=click.Path(file_okay=False),
                     help="Rules folder (its gates/NAME.yaml is the checklist) [default: the project's, else built-in]."),
        click.option("--junit", multiple=True, type=click.Path(),
                     help="With --skip-tests: JUnit XML results to judge by (repeatable) [default: the config's]."),
        click.option("--skip-tests", is_flag=True, help="Do not run pytest; judge by existing JUnit results."),
        click.option("--drill/--no-drill", "drill", default=True, show_default=True,
                     help="Run `audit drill` now, or use the newest drill result made at the current commit."),
        click.option("--waivers", default=None, type=click.Path(dir_okay=False),
                     help="Waivers file [default: the project's audit-waivers.yaml if it exists]."),
        click.option("--date", default=None, help="Audit date YYYY-MM-DD [default: SOURCE_DATE_EPOCH, else today UTC]."),
        click.option("--ascii", "ascii_", is_flag=True, help="Replace emoji with [PASS]/[FAIL]/[??]."),
    ]
    for opt in reversed(options):
        fn = opt(fn)
    return fn


def _run_gate(gate: str, project: str, run_dir: str | None, rules_dir: str | None, junit: tuple[str, ...],
              skip_tests: bool, drill: bool, waivers: str | None, date: str | None) -> Any:
    from auditor.gate import run_gate

    return run_gate(project, gate=gate, run=run_dir, rules=rules_dir, junit=junit, waivers=waivers, date=date,
                    tests=not skip_tests, drill=drill, echo=lambda line: click.echo(line, err=True))


@main.command("gate")
@click.argument("name")
@_gate_options
@_guarded
def gate_cmd(name: str, project: str, run_dir: str | None, rules_dir: str | None, junit: tuple[str, ...],
             skip_tests: bool, drill: bool, waivers: str | None, date: str | None, ascii_: bool) -> None:
    """Run the required tests and the drill, audit, and print gate NAME's checklist (e.g. prelaunch).

    Exit 0 only when every item passes; 1 when one does not; 2 for bad input.
    Use it in front of a launch: `audit gate prelaunch && magvit train ...`.
    """
    from auditor.render.gate import render_gate

    result = _run_gate(name, project, run_dir, rules_dir, junit, skip_tests, drill, waivers, date)
    click.echo(render_gate(result, ascii=ascii_), nl=False)
    sys.exit(result.exit_code)


@main.command(context_settings={"ignore_unknown_options": True})
@click.option("--gate", "gate_name", default="prelaunch", show_default=True, help="The gate to pass first.")
@_gate_options
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
@_guarded
def launch(gate_name: str, project: str, run_dir: str | None, rules_dir: str | None, junit: tuple[str, ...],
           skip_tests: bool, drill: bool, waivers: str | None, date: str | None, ascii_: bool,
           command: tuple[str, ...]) -> None:
    """Run COMMAND (after --) only when the gate passes; exit with COMMAND's exit code.

    When the gate fails, print its checklist and exit 1 without running COMMAND.
    """
    import subprocess

    from auditor.render.gate import render_gate

    result = _run_gate(gate_name, project, run_dir, rules_dir, junit, skip_tests, drill, waivers, date)
    click.echo(render_gate(result, ascii=ascii_), nl=False)
    if not result.passed:
        click.echo(f"not launching: gate {gate_name} failed ({', '.join(result.failing)})", err=True)
        sys.exit(1)
    click.echo(f"gate {gate_name} passed; launching: {' '.join(command)}", err=True)
    try:
        proc = subprocess.run(list(command))
    except OSError as exc:
        raise InputProblem(f"cannot run {command[0]!r}: {exc}") from None
    sys.exit(proc.returncode if proc.returncode >= 0 else 128 - proc.returncode)


@main.command()
@click.argument("old", type=click.Path(dir_okay=False))
@click.argument("new", type=click.Path(dir_okay=False))
@_guarded
def compare(old: str, new: str) -> None:
    """Compare the verdicts of two `audit check --format json` results; exit 1 when any differs.

    Rule x column verdicts, waived states and the gate's pass/fail are compared; measured
    values, summaries, citations and dates are not.
    """
    from auditor.compare import compare as compare_results
    from auditor.compare import load_result
    from auditor.render.compare import render_differences

    diffs = compare_results(load_result(old), load_result(new))
    click.echo(render_differences(diffs, old, new), nl=False)
    sys.exit(1 if diffs else 0)


@main.group()
def rules() -> None:
    """Work with rule files."""


@rules.command("lint")
@click.option("--rules", "rules_dir", default=None, type=click.Path(file_okay=False),
              help="Rules folder [default: the project's, else the built-in rules].")
@click.option("--project", default=".", show_default=True, type=click.Path(file_okay=False),
              help="Project whose documents the citations must be found in (its own rules, or --rules).")
@_guarded
def rules_lint(rules_dir: str | None, project: str) -> None:
    """Report every problem in the rule files with file and line; exit 2 if any, 0 when clean."""
    from auditor.config import load_config
    from auditor.engine import resolve_rules_dir
    from auditor.gate import lint_checklists
    from auditor.rules import BUILTIN_RULES, lint_rules

    config = load_config(project)
    folder = resolve_rules_dir(config, rules_dir)
    errors = lint_rules(folder, config.root) + lint_checklists(folder)
    for err in errors:
        click.echo(str(err))
    if errors:
        click.echo(f"{len(errors)} error{'s' if len(errors) != 1 else ''} in {folder}", err=True)
        sys.exit(EXIT_USAGE)
    note = "" if folder != BUILTIN_RULES else (" (built-in rules: they cite nothing and read each requirement in "
                                               "the project's own words; `audit rules derive` writes rules that "
                                               "cite its passages)")
    click.echo(f"{folder}: rules are clean{note}")


@rules.command("derive")
@click.option("--project", default=".", show_default=True, type=click.Path(file_okay=False),
              help="Project whose requirement documents the rules are derived from.")
@click.option("--out", "out_dir", default=None, type=click.Path(file_okay=False),
              help="Folder to write the rules to [default: the project's rules folder]; never overwritten.")
@_guarded
def rules_derive(project: str, out_dir: str | None) -> None:
    """Write project rules citing the passages of the project's documents that state each requirement.

    From then on those verbatim citations detect drift. Exit 0 when the rules are written and
    lint clean, 2 when the folder already holds rules or the written rules do not lint.
    """
    from auditor.derive import derive_rules

    derived = derive_rules(project, out_dir)
    for path in derived.files:
        rule_id = path.stem.split("-", 1)[-1]
        where = derived.cited.get(rule_id, "")
        click.echo(f"wrote {path}: " + (f"cites {where}" if where else "not documented (docs.stated kept)"))
    for err in derived.lint:
        click.echo(str(err))
    if derived.lint:
        click.echo(f"{len(derived.lint)} lint error(s) in {derived.folder}", err=True)
        sys.exit(EXIT_USAGE)
    click.echo(f"{derived.folder}: rules are clean")


@main.command("init")
@click.option("--project", default=".", show_default=True, type=click.Path(file_okay=False),
              help="Project to write audit.yaml into.")
@_guarded
def init(project: str) -> None:
    """Write audit.yaml with what discovery found, commented, for you to correct; never overwrites one."""
    from auditor.init_config import write_init

    written = write_init(project)
    click.echo(written.text, nl=False)
    click.echo(f"wrote {written.path} (sets: {', '.join(written.keys) or 'nothing; discovery found nothing'})",
               err=True)


@main.group()
def tdd() -> None:
    """Record red / green / refactor evidence of test-driven development."""


@tdd.command("record", context_settings={"ignore_unknown_options": True})
@click.argument("phase", type=click.Choice(["red", "green", "refactor"]))
@click.option("--feature", required=True, help="Name of the feature the cycle is for (letters, digits, . _ -).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for the artifacts [default: artifacts/tdd].")
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
def tdd_record(phase: str, feature: str, out_dir: Path | None, command: tuple[str, ...]) -> None:
    """Run COMMAND (a pytest command, after --) and store the phase's record under artifacts/tdd/.

    Exit 0 when the outcome fits the phase (red: some test fails; green and refactor:
    every test passes), 1 when it does not, 2 when the command cannot be run.
    """
    from auditor.tdd_record import RecordError, record_phase

    try:
        rec = record_phase(phase, feature, list(command), cwd=Path.cwd(), out_dir=out_dir)
    except RecordError as exc:
        raise click.UsageError(str(exc)) from exc
    click.echo(f"recorded {rec.path} ({rec.reason})")
    if not rec.meets_phase:
        raise SystemExit(1)


@main.command("drill")
@click.option("--project", default=".", show_default=True, type=click.Path(file_okay=False),
              help="Project root: commands run here; defaults come from its [tool.audit.drill] / audit.yaml drill:.")
@click.option("--command", "command", default=None,
              help="Training command with {python} {run_dir} {scratch} {data} placeholders [default: ours, tiny].")
@click.option("--prepare", default=None, help="Command run once before the drill (e.g. make a tiny data set).")
@click.option("--run-dir", default=None, type=click.Path(file_okay=False),
              help="Fresh run directory for the drilled run [default: a temporary one].")
@click.option("--checkpoint-pattern", "checkpoint_patterns", multiple=True,
              help="Glob for checkpoint files relative to the run directory (repeatable).")
@click.option("--kills", type=click.IntRange(min=1), default=None, help="SIGKILLs to land [default: 3].")
@click.option("--seed", type=click.IntRange(min=0), default=None, help="Seed of the kill plan [default: 0].")
@click.option("--interval-s", type=click.FloatRange(min=0, min_open=True), default=None,
              help="The trainer's checkpoint interval in seconds, when its manifests do not say.")
@click.option("--compare-final/--no-compare-final", default=None,
              help="Run once more without kills and compare the final tensors [default: compare].")
@click.option("--timeout", "timeout_s", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Time limit for the whole drill in seconds [default: 600].")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Result JSON [default: RUN_DIR/drill.json with --run-dir, else artifacts/drill/latest.json].")
@_guarded
def drill(project: str, out: Path | None, **options: Any) -> None:
    """Kill a training command with SIGKILL at random moments, restart it, and check that it resumed.

    Exit 0 when every check passes, 1 when one fails, 2 for a bad command, option or config.
    """
    from auditor.drill import (DrillUsageError, check_out_path, default_out, resolve_settings, run_drill, to_json,
                               write_result)  # fmt: skip
    from auditor.render.drill import render_drill

    try:
        settings = resolve_settings(Path(project), **options)
        out = out or default_out(settings)
        check_out_path(out)
        with _collections_as_usual():
            result = run_drill(settings, echo=click.echo)
    except DrillUsageError as exc:
        raise InputProblem(str(exc)) from None
    write_result(out, to_json(result))
    click.echo(render_drill(result))
    click.echo(f"wrote {out}")
    sys.exit(result.exit_code)
