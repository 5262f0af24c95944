"""The `audit` command line: thin commands over the library."""

from pathlib import Path

import click


@click.group()
@click.version_option(package_name="magvit-audit")
def main() -> None:
    """Audit a training project against its process rules."""


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
