"""What one call site does by itself: save, load, log, progress write, heartbeat, checkpoint
discovery, training step. The whole-program analysis (auditor.evidence.code.flow) carries these
through the functions that reach them.

- a log call is `print`, `logging.*`, a logger's methods, `tqdm.write`, `click.echo`, a `write` to a log file, and an
  experiment tracker's log call (`run.log({...}, step=...)`, `writer.add_scalar(...)`,
  `log_metrics(...)`); a tensor's `x.log()` and `torch.log(x)` are arithmetic, not logging;
- a heartbeat is a write that names it (or is made by a heartbeat function or class), a write to a
  liveness file (`alive.json`, `heartbeat.txt`: a name bound to its path), and any
  `Path.touch()` / `os.utime()`: refreshing a file's modification time says only "alive".
"""

from __future__ import annotations

import ast
import re
from typing import TYPE_CHECKING

from auditor import rxcache
from auditor.evidence.code.facts import DISCOVERY, HEARTBEAT, LOAD, LOG, PROGRESS, SAVE, STEP, Call
from auditor.evidence.code.syntax import walk  # ast.walk's order, less contexts and operators

if TYPE_CHECKING:
    from auditor.evidence.code.scan import FileScan, FunctionScan

_LOG_METHODS = {"info", "debug", "warning", "warn", "error", "exception", "critical", "log"}
_LOG_NAMED = rxcache.compile(r"(^|[^a-z])log([^a-z]|$)|\.log\b|_log\b|log_")  # of a lower-cased call
_OPEN_MODE = rxcache.compile(r"open\((?:[^,()]+,\s*)?(['\"])([rwaxbt+]+)\1")
_LOG_RECEIVERS = rxcache.compile(r"(^|\.)(logging|logger|log|_log|_logger|LOGGER|LOG)$")
# an experiment tracker's calls (W&B, TensorBoard, MLflow, Aim, ...), whatever the object is called
_TRACKER_LOG = {"log_metrics", "log_metric", "log_dict", "log_scalar", "log_scalars", "add_scalar", "add_scalars"}
# packages whose `log` is the logarithm
_MATH = {"math", "cmath", "numpy", "np", "torch", "jax", "jnp", "tensorflow", "tf", "scipy", "mxnet"}
_WRITE_SHORT = {"write", "write_text", "write_bytes", "dump", "replace", "rename", "writelines"}
_NOT_CHECKPOINT_LOADERS = rxcache.compile(r"^(json|yaml|np|numpy|pickle|tomllib|toml|pd|pandas)\.")
_OPTIMIZER = rxcache.compile(r"(^|\.)(\w*opt\w*|\w*optim\w*|scaler)$", re.I)
_STEP_CALLS = {"backward", "apply_gradients", "value_and_grad", "partial_fit"}  # partial_fit: scikit-learn's step


def call_tags(call: Call, scan: FileScan, fs: FunctionScan, save: set[str], load: set[str],
              discovery: set[str]) -> set[str]:
    """The effects a call site has by itself, given the configured save, load and discovery names."""
    tags: set[str] = set()
    low = call.text.lower()
    if call.short in save or call.name in save:
        tags.add(SAVE)
    if (call.short in load or call.name in load) and not _NOT_CHECKPOINT_LOADERS.match(call.name):
        tags.add(LOAD)
    receiver = call.name.rsplit(".", 1)[0] if "." in call.name else ""
    is_log = is_log_call(call, receiver)
    if is_log:
        tags.add(LOG)
    is_write = _is_write(call)
    if is_write and _LOG_NAMED.search(low) and "progress" not in low:
        tags.add(LOG)
    if is_write and _mentions_progress(call, scan, fs):
        tags.add(PROGRESS)
    if is_write and ("progress" in fs.name.lower() or (fs.class_name or "").lower().find("progress") >= 0):
        tags.add(PROGRESS)
    if (is_write or is_log) and ("heartbeat" in low or fs.mentions_heartbeat) or _refreshes_mtime(call, receiver):
        tags.add(HEARTBEAT)
    if is_write and _mentions(call.text, scan.liveness_aliases | fs.liveness_aliases):
        tags.add(HEARTBEAT)
    if call.short in discovery or call.name in discovery:
        tags.add(DISCOVERY)
    if call.short in _STEP_CALLS or call.name in ("jax.grad",) or (
            call.short == "step" and bool(_OPTIMIZER.search(receiver))):
        tags.add(STEP)
    return tags


# console writers that print a line: tqdm's `tqdm.write` (a line above the progress bar), click's and typer's echo
_CONSOLE = {"click.echo", "click.secho", "typer.echo", "typer.secho", "rich.print"}


def is_log_call(call: Call, receiver: str) -> bool:
    if call.name == "print" or call.name.startswith("logging.") or call.name in ("sys.stdout.write",
                                                                                 "sys.stderr.write"):
        return True
    if call.name in _CONSOLE or (call.short == "write" and call.name.split(".")[0] == "tqdm"):
        return True
    if call.short in _LOG_METHODS and bool(_LOG_RECEIVERS.search(receiver)):
        return True
    if call.short in _TRACKER_LOG and receiver:
        return True
    # `run.log({...}, step=n)`, `wandb.log(metrics)`, `accelerator.log(...)`: a tracker's log takes what
    # it logs; `x.log()` (a tensor) takes nothing and `np.log(x)` is the logarithm
    return call.short == "log" and bool(receiver) and receiver.split(".")[0] not in _MATH and (
        call.n_args > 0 or bool(call.kwargs))


def _refreshes_mtime(call: Call, receiver: str) -> bool:
    """`path.touch()` / `os.utime(path)`: the file's time is the signal (a liveness file)."""
    return (call.short == "touch" and bool(receiver)) or call.name in ("os.utime", "utime")


def _is_write(call: Call) -> bool:
    if call.short == "open":  # open(path, "w") and path.open("w")
        return any(ch in _open_mode(call) for ch in "wax")
    if call.short in _WRITE_SHORT or call.name in ("json.dump", "os.replace", "os.rename", "shutil.move"):
        return True
    low = call.short.lower()
    return "write" in low or "atomic" in low or "dump" in low


def _open_mode(call: Call) -> str:
    mode = dict(call.kwargs).get("mode", "")
    m = _OPEN_MODE.search(call.text)
    return mode or (m.group(2) if m else "")


def _mentions_progress(call: Call, scan: FileScan, fs: FunctionScan) -> bool:
    text = call.text
    if "progress" in text.lower():
        return True
    return _mentions(text, scan.progress_aliases | fs.progress_aliases)


def _mentions(text: str, aliases: set[str]) -> bool:
    """The call's text names one of the names bound to a file's path."""
    return any(re.search(rf"(?<![A-Za-z0-9_]){re.escape(a)}(?![A-Za-z0-9_])", text) for a in aliases if a)


_STEP_KEYS = {"step", "global_step", "iteration", "iter", "epoch", "batch"}


def liveness_progress(call: Call, node: ast.Call, scan: FileScan, fs: FunctionScan) -> bool:
    """A liveness file rewritten with how far training is (`{"step": ..., "time": ...}` into alive.json, the
    record given to this write or dumped by another write of the same function, `with open(p, "w") as f:
    json.dump(record, f)`) is a progress file too; a record appended to a log is not."""
    if not _is_write(call) or not _mentions(call.text, scan.liveness_aliases | fs.liveness_aliases):
        return False
    if call.short == "open" and "a" in _open_mode(call):
        return False
    return _records_position(node) or any(_is_write(c) and _records_position(n) for c, n in fs.calls)


_WRITER = rxcache.compile(r"write|dump|save|update|store|put|record", re.I)


def status_record(call: Call, node: ast.Call, fs: FunctionScan | None = None) -> bool:
    """A call that writes a status record of how far training is: a writer (`write_metrics(path,
    {"status": "running", "step": step, ...})`) given a mapping with a status key (status, state, phase)
    and a position key, written literally or bound to a name first in the same function (`record = {...}`,
    then `write_text(json.dumps(record))`); a tracker's `run.log({...})` writes no file, and a metrics
    mapping without a status is no status."""
    if not _WRITER.search(call.short):
        return False
    given = [*node.args, *(k.value for k in node.keywords)]
    names = {sub.id for arg in given for sub in walk(arg) if isinstance(sub, ast.Name)}
    bound = [value for targets, value in (fs.assigns if fs is not None else ()) if targets & names]
    return any(isinstance(sub, ast.Dict) and {"status", "state", "phase"} & _keys(sub)
               and (_STEP_KEYS | {"chunk"}) & _keys(sub) for arg in given + bound for sub in walk(arg))


def _keys(mapping: ast.Dict) -> set[str]:
    return {k.value for k in mapping.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)}


def _records_position(node: ast.Call) -> bool:
    """The call writes a record holding how far training is: a mapping with a step (or epoch) key."""
    return any(isinstance(sub, ast.Dict) and any(isinstance(k, ast.Constant) and k.value in _STEP_KEYS
                                                 for k in sub.keys)
               for arg in [*node.args, *(k.value for k in node.keywords)] for sub in walk(arg))
