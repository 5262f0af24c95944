"""The Hugging Face `transformers.Trainer` as code facts: its `TrainingArguments` from code, from
the command line (`HfArgumentParser`), from JSON/YAML argument files, and its defaults.

- `TrainingArguments(save_strategy=, save_steps=, logging_strategy=, logging_steps=)` in code;
  `HfArgumentParser((..., TrainingArguments))` reading a JSON/YAML file (`parse_json_file`,
  `parse_yaml_file`) takes them from the argument file discovery found, cited at its keys;
  read from the command line (`parse_args_into_dataclasses`), they are transformers' defaults
  unless a file says otherwise: a save every 500 steps, a log line every 500 steps.
- With the Trainer's `train()`: a periodic save and a per-step log in the Trainer's own loop.
- `trainer.train(resume_from_checkpoint=...)`: a resume; a value that `get_last_checkpoint()`
  found (directly or through variables) is auto-resume (None on a first start); `True` finds the
  newest checkpoint too but raises on a first start.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import TYPE_CHECKING

from auditor.evidence.code.facts import AUTORESUME, LOG, SAVE, Call, CodeEvidence, Effect, Interval, LoopCall, ResumeLoad
from auditor.evidence.code.fwcommon import (Site, config_call, framework_loop, imports, keyword, keyword_line,
                                              number, package, sites)
from auditor.evidence.code.syntax import calls_in, names_in

if TYPE_CHECKING:
    from auditor.evidence.code.configfiles import ConfigFiles, Node
    from auditor.evidence.code.flow import _Analysis
    from auditor.evidence.code.scan import FileScan

TRANSFORMERS = ("transformers",)
DEFAULT_STEPS = 500  # TrainingArguments' own default save_steps and logging_steps
HF_KEYS = ("save_strategy", "save_steps", "logging_strategy", "logging_steps", "output_dir", "num_train_epochs",
           "per_device_train_batch_size", "resume_from_checkpoint")
_FILE_PARSERS = ("parse_json_file", "parse_yaml_file", "parse_dict")


@dataclass(frozen=True)
class Policy:
    """What one set of TrainingArguments says about saves and logging, and where."""

    save: Interval | None  # None: no periodic save (save_strategy "no" / "best")
    save_site: Call
    log_site: Call | None  # None: no per-step logging


def add(ev: CodeEvidence, scans: list[FileScan], analysis: _Analysis, configs: ConfigFiles) -> None:
    ours = [s for s in scans if imports(s, TRANSFORMERS)]
    if not ours:
        return
    every = [x for scan in ours for x in sites(scan)]
    hf = [s for s in every if package(s.call) in TRANSFORMERS]
    policies = [p for s in hf if s.call.short.endswith("TrainingArguments") for p in _code_policy(s)]
    policies += [p for s in hf if s.call.short == "HfArgumentParser" and _parses_training_arguments(s.node)
                 for p in _parser_policy(s, every, configs)]
    ev.intervals = ev.intervals + tuple(p.save for p in policies if p.save is not None)
    trains = _trains(every)
    train = next((s for s in trains if _reachable(ev, s.call)), None)
    loop_calls: list[LoopCall] = []
    if train is not None:
        saving = [p for p in policies if p.save is not None]
        if saving:
            loop_calls.append(framework_loop(train.call, Effect(SAVE, saving[0].save_site, ("transformers Trainer",))))
            ev.save_intervals = ev.save_intervals + (saving[0].save,)
        logging = [p for p in policies if p.log_site is not None]
        if logging:
            loop_calls.append(framework_loop(train.call, Effect(LOG, logging[0].log_site, ("transformers Trainer",))))
    ev.loop_calls = ev.loop_calls + tuple(loop_calls)
    _resumes(ev, trains, analysis)


def _reachable(ev: CodeEvidence, call: Call) -> bool:
    return call.function in ("<module>", "<main>") or f"{call.file}::{call.function}" in ev.reachable


def _trains(every: list[Site]) -> list[Site]:
    """`trainer.train(...)` where `trainer` was bound to a transformers `*Trainer(...)` (or `Trainer(...).train()`)."""
    trainers: set[str] = set()
    for s in every:
        if s.call.short.endswith("Trainer") and package(s.call) in TRANSFORMERS:
            for names, value in s.function.assigns:
                if value is s.node:
                    trainers |= names
    out = []
    for s in every:
        if s.call.short != "train" or not isinstance(s.node.func, ast.Attribute):
            continue
        receiver = s.node.func.value
        if names_in(receiver) & trainers or (isinstance(receiver, ast.Call) and package(s.call) in TRANSFORMERS):
            out.append(s)
    return out


# --------------------------------------------------------------------------- policies


def _strategy(value: object) -> str | None:
    """`"steps"`, `IntervalStrategy.STEPS` or `SaveStrategy.EPOCH` -> "steps" / "epoch"; None when not a literal."""
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return value.value.lower()
    if isinstance(value, ast.Attribute):
        return value.attr.lower()
    if isinstance(value, str):
        return value.lower()
    return None


def _save_interval(strategy: str | None, steps: float | None, steps_given: bool, file: str, line: int,
                   steps_line: int, where: str) -> Interval | None:
    if strategy == "epoch":
        return Interval("save_strategy", "epoch", 1.0, "epochs", None, file, line, where,
                        "transformers saves at the end of every epoch (save_strategy 'epoch')")
    if strategy not in (None, "steps"):
        return None  # "no", or "best" (saves when the metric improves): no period
    if not steps_given:
        return Interval("save_steps", str(DEFAULT_STEPS), float(DEFAULT_STEPS), "steps", None, file, line, where,
                        f"not given: transformers' default save_steps={DEFAULT_STEPS}")
    if steps is not None and steps < 1:
        return Interval("save_steps", f"{steps:g}", steps, "unknown", None, file, steps_line, where,
                        "a float below 1 is a fraction of the total steps")
    return Interval("save_steps", f"{steps:g}" if steps is not None else "?", steps, "steps", None, file,
                    steps_line, where, "transformers saves every save_steps steps")


def _code_policy(site: Site) -> list[Policy]:
    node = site.node
    if any(k.arg is None for k in node.keywords) and keyword(node, "save_strategy") is None:
        return []  # TrainingArguments(**config): the policy is in the data, not here
    strategy = _strategy(keyword(node, "save_strategy"))
    steps_node = keyword(node, "save_steps")
    where = site.call.short
    save = _save_interval(strategy, number(steps_node), steps_node is not None, site.call.file,
                          keyword_line(node, "save_strategy"), keyword_line(node, "save_steps"), where)
    if save is not None and steps_node is not None and save.value is None:
        save = Interval(save.name, site.scan.seg(steps_node), None, save.unit, None, save.file, save.line, where,
                        f"default is an expression ({site.scan.seg(steps_node)})")
    log_steps = number(keyword(node, "logging_steps"))
    logs = log_steps is not None and log_steps >= 1 and _strategy(keyword(node, "logging_strategy")) in (None, "steps")
    return [Policy(save, site.call, site.call if logs else None)]


def _parses_training_arguments(node: ast.Call) -> bool:
    return any("TrainingArguments" in name for a in node.args for name in names_in(a))


def _parser_policy(site: Site, every: list[Site], configs: ConfigFiles) -> list[Policy]:
    """An HfArgumentParser's TrainingArguments: from the argument file it reads, else the defaults."""
    reads_file = any(s.call.short in _FILE_PARSERS and s.scan is site.scan for s in every)
    nodes = [n for n in configs.with_keys(*HF_KEYS) if sum(k in n.values for k in HF_KEYS) >= 2] if reads_file else []
    if nodes:
        return [_file_policy(n) for n in nodes[:1]]
    where = f"{site.call.file}:{site.call.line} HfArgumentParser(... TrainingArguments)"
    save = _save_interval(None, None, False, site.call.file, site.call.line, site.call.line, where)
    return [Policy(save, site.call, site.call)]  # logging_steps defaults to 500, strategy "steps"


def _file_policy(node: Node) -> Policy:
    where = f"{node.file}: the TrainingArguments HfArgumentParser reads"
    strategy = _strategy(node.values.get("save_strategy"))
    steps = node.values.get("save_steps")
    steps_f = float(steps) if isinstance(steps, (int, float)) and not isinstance(steps, bool) else None
    line = node.line_of("save_strategy") if "save_strategy" in node.values else node.line_of("save_steps")
    save = _save_interval(strategy, steps_f, "save_steps" in node.values, node.file, line,
                          node.line_of("save_steps"), where)
    key = "save_strategy" if "save_strategy" in node.values else "save_steps"
    save_site = config_call(node.file, node.line_of(key), "TrainingArguments", f"{key}: {node.values.get(key)}")
    log_steps = node.values.get("logging_steps", DEFAULT_STEPS)
    logs = isinstance(log_steps, (int, float)) and log_steps >= 1 and _strategy(
        node.values.get("logging_strategy")) in (None, "steps")
    log_key = "logging_steps" if "logging_steps" in node.values else "logging_strategy"
    log_site = config_call(node.file, node.line_of(log_key), "TrainingArguments",
                           f"{log_key}: {node.values.get(log_key, DEFAULT_STEPS)}") if logs else None
    return Policy(save, save_site, log_site)


# --------------------------------------------------------------------------- resume


def _resumes(ev: CodeEvidence, trains: list[Site], analysis: _Analysis) -> None:
    loads: list[ResumeLoad] = []
    auto: list[Effect] = []
    for site in trains:
        value = keyword(site.node, "resume_from_checkpoint")
        if value is None or (isinstance(value, ast.Constant) and value.value in (None, False)):
            continue
        qual = f"{site.scan.rel}::{site.function.qualname}"
        disc = analysis.taints.get(qual, (set(), set()))[1]
        asks = isinstance(value, ast.Constant) and value.value is True
        found = any(short == "get_last_checkpoint" for _, short in calls_in(value, site.scan.aliases)) or bool(
            names_in(value) & disc)
        why = ("transformers' resume_from_checkpoint=True raises on a first start, when no checkpoint exists yet "
               "(pass get_last_checkpoint(output_dir), which is None then)") if asks else ""
        user = ", ".join(sorted(names_in(value) - {"self", "args", "training_args", "cfg", "config"} - disc))
        at = _discovery_line(site, disc) if found else ("", 0)
        load = ResumeLoad(site.call, from_resume=True, from_discovery=asks or found,
                          reachable=_reachable(ev, site.call), why_not_at_start=why, user_source=user,
                          restores_state=True, state_detail="the Trainer restores model, optimizer, scheduler, RNG "
                                                            "and the data position", discovered_at=at)
        loads.append(load)
        if found and load.reachable and not why:
            auto.append(Effect(AUTORESUME, site.call))
    ev.resume_loads = ev.resume_loads + tuple(loads)
    ev.resume_passed = ev.resume_passed + tuple(r.call for r in loads)
    ev.auto_resume = ev.auto_resume + tuple(auto)


def _discovery_line(site: Site, disc: set[str]) -> tuple[str, int]:
    """The line that calls get_last_checkpoint, for a value that reached the resume through variables."""
    for _names, value in site.function.assigns:
        if any(short == "get_last_checkpoint" for _, short in calls_in(value, site.scan.aliases)):
            return site.scan.rel, value.lineno
    return site.call.file, site.call.line
