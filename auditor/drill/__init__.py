"""The kill-and-resume drill: SIGKILL a training command at random moments, restart it, judge.

`run_drill(settings)` starts the training command in a scratch run directory, kills its
process group with SIGKILL at seeded-random moments (some timed to land while a checkpoint
is being written), restarts the same command after each kill, lets the last session finish,
optionally runs the command once more without kills, and judges what it recorded.

What is recorded are observations (frozen dataclasses: `Kill`, `Session`, `Observations`);
the checks (`check_resumed_from_newest`, `check_lost_work`, `check_no_corrupt_loaded`,
`check_final_weights`, `check_run_finished`) are pure functions of them, so they are tested
without processes too. The result format, `audit-drill/1`, is described in docs/drill.md.

Checkpoints are found with glob patterns relative to the run directory. A checkpoint with a
`magvit-checkpoint/1` manifest (docs/run-directory.md) is verified by size and sha256; a
foreign one by its format (JSON parses, a zip's CRCs match) and positioned by the number in
its name.

Modules: `settings` (what to run), `process` (process groups, SIGKILL), `disk` (checkpoint
files and the watcher), `observations` (the records), `checks` (the pure checks), `final`
(the final-weights comparison, with `tensors`), `runner` (the drill itself) and `result`
(the `audit-drill/1` document: written here, read only through `result.read_record`). Its
text for a person is `auditor.render.drill`.
"""

import importlib
from typing import Any

# name -> the module that defines it: loaded on first use (PEP 562), so that reading a run's drill
# records (auditor.drill.result, in every audit with a run) does not load the drill itself
_HOME = {
    **dict.fromkeys(("CHECKS", "check_final_weights", "check_lost_work", "check_no_corrupt_loaded",
                     "check_resumed_from_newest", "check_run_finished", "judge"), "checks"),
    **dict.fromkeys(("judge_file", "scan"), "disk"),
    **dict.fromkeys(("compare_final",), "final"),
    **dict.fromkeys(("Check", "DiskCheckpoint", "FinalComparison", "Kill", "Observations", "Session"), "observations"),
    **dict.fromkeys(("DrillRecord", "DrillRecordError", "DrillResult", "check_out_path", "default_out", "read_record",
                     "to_json", "write_result"), "result"),
    **dict.fromkeys(("run_drill",), "runner"),
    **dict.fromkeys(("DrillSettings", "DrillUsageError", "load_drill_table", "render_command", "resolve_settings"),
                    "settings"),
}


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module 'auditor.drill' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"auditor.drill.{_HOME[name]}"), name)
    globals()[name] = value
    return value


__all__ = [
    "CHECKS", "Check", "DiskCheckpoint", "DrillRecord", "DrillRecordError", "DrillResult", "DrillSettings",
    "DrillUsageError", "FinalComparison", "Kill", "Observations", "Session", "check_final_weights", "check_lost_work",
    "check_no_corrupt_loaded", "check_out_path", "check_resumed_from_newest", "check_run_finished", "compare_final",
    "default_out", "judge", "judge_file", "load_drill_table", "read_record", "render_command", "resolve_settings",
    "run_drill", "scan", "to_json", "write_result",
]  # fmt: skip
