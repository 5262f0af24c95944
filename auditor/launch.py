"""Where the `audit` program starts (its console script, and `python -m auditor`): before anything
is imported, the cyclic garbage collector's automatic runs are turned off for the whole process.

Importing the command line and its libraries (click, PyYAML, markdown-it, the evidence modules)
allocates enough to set off a few hundred collections, each walking every object imported so
far; a command then runs with them off anyway (auditor.cli, GC_THRESHOLD), and the collection
the interpreter makes as it exits is spared the objects left (gc.freeze). Only this module,
which imports nothing at its top, can come first: importing auditor.cli itself is most of that
work. The library (`from auditor.cli import main`) leaves the caller's collector as it is.
"""

import gc


def main(args: list[str] | None = None) -> None:
    gc.set_threshold(0)  # the process ends with the command: nothing to restore
    from auditor.cli import main as command

    try:
        command(args)
    finally:
        # what is left is dropped as the interpreter exits: its last collection need not walk it
        gc.freeze()
