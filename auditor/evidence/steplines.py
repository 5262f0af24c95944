"""Per-step training lines as other trainers print them, told apart from evaluation lines.

A per-step line carries a training loss and a step counter: `iter 20: loss ...`, `step=5
loss=...`, an engine's `Epoch[2] Iteration[48] Loss: ...`, a registry runner's `Epoch(train)
[3][ 20/100] ... loss: ...` (an `[i/n]` counter), an RL loop's `update 200 loss ...`,
transformers' `{'loss': ...}` dicts, fairseq's progress lines (`epoch 001:  25 / 400
loss=3.357, ..., num_updates=25`), and JSON lines whose keys hold a training loss and a step
(`{"_step": 12, "train/loss": 0.4}` as experiment trackers write them, `{"iter": 40, "loss":
...}`, fairseq's `{"epoch": 1, "update": 0.062, "loss": "3.357", ...}` with its values written
as strings), alone or behind a logger's prefix (`date | INFO | train_inner | {...}`).
Evaluation lines (`val loss`, `eval_loss`, `Epoch(val)`, `Validation
Results`, a `val/loss` key) and epoch summaries (fairseq's `epoch 001 | loss 1.246 |
num_updates 400`, `train_loss` with no step key) are not per-step lines.
"""

from __future__ import annotations

import functools
import json
import re

from auditor import rxcache
from typing import Any

# a streaming trainer's chunk of the stream (one `partial_fit` a chunk) is its step: `chunk 10/480 ... loss ...`
STEP = rxcache.compile(r"\b(?:global_step|step|iteration|iter|it|update|chunk)\b\s*[=:#\[(]?\s*(\d+)", re.I)
COUNTER = rxcache.compile(r"\[\s*(\d+)\s*/\s*\d+\s*(?:\(\s*\d+%\)\s*)?\]")  # `[ 20/100]`, timm's `[ 20/100 ( 20%)]`
# fairseq's simple progress line: `epoch 001:     25 / 400 loss=...`: update i of the epoch's n
EPOCH_COUNTER = rxcache.compile(r"\bepoch\s+\d+\s*:\s*(\d+)\s*/\s*\d+\b", re.I)
_LAST_WORD = rxcache.compile(r"(\w+)\W*(?:\(\w+\)\W*)?$")  # the word a counter follows, past a `(train)` mode
LOSS = rxcache.compile(r"\b(?:train(?:ing)?[_ ]?)?loss(?:\.\w+)?\b\s*[=:|]?\s*-?\d|['\"]loss['\"]\s*:", re.I)
EVAL = rxcache.compile(r"\b(?:eval|evaluation|valid|validation|val|test)(?:\b|_)", re.I)
_BATCH = rxcache.compile(r"\bbatch\b\s*[=:#]?\s*\d+", re.I)
_TRAIN_LOSS_KEY = rxcache.compile(r"^(?:train(?:ing)?_)?loss(?:_\w+)?$")
_VALIDATION_KEY = rxcache.compile(r"^(?:val|valid|validation|eval|evaluation|test)(?:$|[_/.])")
_STEP_KEYS = frozenset(("_step", "step", "global_step", "iter", "iteration", "batch", "batch_idx", "update",
                        "n_updates", "num_updates"))


def json_object(text: str, prefixed: bool = False) -> dict[str, Any] | None:
    """The JSON object a line holds, or None (not JSON, or not an object); `prefixed`: one behind a
    logger's prefix (`2026-01-01 10:00:06 | INFO | train_inner | {...}`) as well."""
    stripped = text.strip()
    if prefixed and stripped.endswith("}") and not stripped.startswith("{"):
        stripped = stripped[stripped.find("{"):] if "{" in stripped else ""
    if not (stripped.startswith("{") and stripped.endswith("}")):
        return None
    try:
        obj = json.loads(stripped)
    except ValueError:
        return None
    return obj if isinstance(obj, dict) else None


def _segments(key: Any) -> list[str]:
    return re.split(r"[/.]", str(key).lower())


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _numeric(value: Any) -> bool:
    """A number, or a number written as a string (fairseq's json log formats every stat so)."""
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            return False
        return True
    return _number(value)


def is_step_record(obj: dict[str, Any]) -> bool:
    """A JSON record of one training step: a training loss (no evaluation key's) with a step counter,
    or transformers' bare `loss` with no evaluation key beside it."""
    def train_loss(key: Any) -> bool:
        parts = _segments(key)
        return bool(_TRAIN_LOSS_KEY.match(parts[-1])) and not any(_VALIDATION_KEY.match(p) for p in parts)

    if not any(train_loss(k) and _numeric(v) for k, v in obj.items()):
        return False
    if any(_segments(k)[-1] in _STEP_KEYS for k in obj):
        return True
    # no step counter: transformers' log records, whose epoch is a fraction within an epoch
    epoch = obj.get("epoch")
    return "loss" in obj and _number(epoch) and epoch != int(epoch) \
        and not any(_VALIDATION_KEY.match(p) for k in obj for p in _segments(k))


def step_counter(text: str) -> bool:
    """Whether an `[i/n]` counter on the line counts iterations: not one that follows the word
    epoch (`Epoch [1/10], Loss: ...` and `Epoch(train) [3/20]` are a line an epoch;
    `Epoch(train) [3][ 20/100]` and `Iter(train) [ 20/1000]` count iterations)."""
    for m in COUNTER.finditer(text):
        last = _LAST_WORD.search(text[max(0, m.start() - 40):m.start()])
        if last is None or last.group(1).lower() != "epoch":
            return True
    return False


# Lines memoised (as runlog's other line predicates): the run evidence asks about every line of a
# log in several passes (sessions, save times, step times), a third of a corpus audit's CPU.
LINE_CACHE = 1 << 14


@functools.lru_cache(maxsize=LINE_CACHE)
def is_batch_line(text: str) -> bool:
    """A per-step training line: a step counter with a loss, or a step record; not evaluation."""
    obj = json_object(text) if text.lstrip().startswith("{") else None
    if obj is not None:
        return is_step_record(obj)
    behind = json_object(text, prefixed=True) if text.rstrip().endswith("}") else None
    if behind is not None and is_step_record(behind):  # a record behind a logger's prefix
        return True
    if not LOSS.search(text) or EVAL.search(text):
        return False
    stripped = text.strip()
    if stripped.startswith("{") and ("'loss'" in stripped or '"loss"' in stripped):
        return True
    return bool(STEP.search(text) or _BATCH.search(text) or step_counter(text) or EPOCH_COUNTER.search(text))


def line_shape(text: str) -> str:
    """A line with its numbers blanked and its spaces collapsed: the shape a banner keeps at every start."""
    return re.sub(r"\d+", "#", " ".join(text.split()))
