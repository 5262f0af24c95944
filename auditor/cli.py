"""The `audit` command line: thin commands over the library."""

import click


@click.group()
@click.version_option(package_name="magvit-audit")
def main() -> None:
    """Audit a training project against its process rules."""
