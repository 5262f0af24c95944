"""The `magvit` command line: thin commands over the library."""

import click


@click.group()
@click.version_option(package_name="magvit-audit")
def main() -> None:
    """Train and evaluate a MAGVIT video tokenizer on synthetic trajectory videos."""
