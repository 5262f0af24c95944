"""The CI files (.ci/run, the example GitHub workflow, the pre-commit hooks) name `audit` commands
and options that exist: each command line found in them parses with the real command-line parser."""

from __future__ import annotations

import shlex
from pathlib import Path

import click
import pytest
import yaml

from auditor.cli import main

REPO = Path(__file__).resolve().parents[2]
SHELL_OPERATORS = {"&&", "||", ";", "|", "&", ";;", "(", ")"}


def _shell_lines(text: str) -> list[str]:
    """Logical lines of a shell script: comments dropped, backslash continuations joined."""
    joined = text.replace("\\\n", " ")
    return [line for line in joined.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def _audit_calls(line: str) -> list[list[str]]:
    """The argument lists of every `audit` invocation on one shell line."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)  # `;`, `&&`, `||` become tokens
    lexer.whitespace_split = True
    tokens = list(lexer)
    calls = []
    for i, token in enumerate(tokens):
        if "=" not in token and (token.rsplit("/", 1)[-1] == "audit" or token in ("$AUDIT", "${AUDIT}")):
            args = []
            for arg in tokens[i + 1:]:
                if arg in SHELL_OPERATORS:
                    break
                args.append(arg)
            calls.append(args)
    return calls


def _ci_lines() -> list[tuple[str, str]]:
    lines = [(".ci/run", line) for line in _shell_lines((REPO / ".ci" / "run").read_text())]
    for script in sorted((REPO / "scripts").glob("*.sh")):
        lines += [(f"scripts/{script.name}", line) for line in _shell_lines(script.read_text())]
    for rel in (".github/workflows/audit.yml", "docs/examples/github-actions-audit.yml"):
        workflow = yaml.safe_load((REPO / rel).read_text())
        for job in workflow["jobs"].values():
            for step in job["steps"]:
                if "run" in step:
                    lines += [(rel, line) for line in _shell_lines(step["run"])]
    for hook in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text()):
        lines.append((".pre-commit-hooks.yaml", hook["entry"]))
    return lines


CALLS = [(where, args) for where, line in _ci_lines() for args in _audit_calls(line)]


def _parse(group: click.Group, args: list[str], parent: click.Context | None = None) -> None:
    """Parse `args` the way `audit` would, without running anything; UsageError when they do not parse."""
    ctx = click.Context(group, info_name=group.name, parent=parent)
    if not args:
        raise click.UsageError(f"{group.name}: no command given", ctx)
    name, *rest = args
    command = group.get_command(ctx, name)
    if command is None:
        raise click.UsageError(f"{group.name}: no such command {name!r}", ctx)
    if isinstance(command, click.Group):
        _parse(command, rest, ctx)
    else:
        command.make_context(name, rest, parent=ctx)


def test_the_ci_files_call_audit_at_all():
    places = {where for where, _ in CALLS}
    assert {".ci/run", "scripts/status.sh", ".github/workflows/audit.yml", ".pre-commit-hooks.yaml",
            "docs/examples/github-actions-audit.yml"} <= places
    assert any(args[:2] == ["gate", "prelaunch"] for _, args in CALLS)


@pytest.mark.parametrize("where, args", CALLS, ids=[f"{w}: audit {' '.join(a)[:60]}" for w, a in CALLS])
def test_every_audit_command_in_the_ci_files_parses(where, args):
    _parse(main, args)


def test_a_misspelt_option_does_not_parse():
    """The check above can fail."""
    with pytest.raises(click.UsageError):
        _parse(main, ["gate", "prelaunch", "--skip-test"])
