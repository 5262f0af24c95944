"""PyTorch Lightning, configured in Python or instantiated from Hydra YAML, as code facts.

- A `ModelCheckpoint(every_n_train_steps= | train_time_interval=timedelta(...) | every_n_epochs=)`
  in code, or a YAML node `_target_: lightning.pytorch.callbacks.ModelCheckpoint` in a project
  that instantiates its config (`hydra.utils.instantiate`), with the Trainer's `fit()`: a
  periodic save in Lightning's own loop, and its interval (values followed through options,
  `timedelta(minutes=args.x)` included); none of the three triggers: every epoch.
- `self.log(...)` in `training_step`: a log call every step (Lightning's default there), or
  every epoch with `on_step=False`.
- A `Callback` subclass that is created: its `on_train_batch_end` (and other batch hooks) run
  in the per-batch loop, its epoch hooks in the epoch loop, with their own guards.
- `trainer.fit(..., ckpt_path=...)`: a resume; `"last"` makes Lightning find the newest
  checkpoint itself (auto-resume, fresh on a first start); `cfg.get("ckpt_path")` is a path the
  user gives through the configuration.

A Trainer is a name bound to Lightning's `Trainer(...)`, or to `hydra.utils.instantiate(cfg.trainer ...)`
in a project whose YAML instantiates a Lightning Trainer.

`LightningCLI(Model, DataModule)` (`lightning.pytorch.cli`, or a project subclass of it) builds the
Trainer itself and its `fit` subcommand calls `Trainer.fit`: the call stands as the fit. Its
configuration is the YAML the documented command passes with `--config` (else every config file
found), in jsonargparse's form: `trainer.callbacks` entries `class_path: ...ModelCheckpoint` with
`init_args` (`train_time_interval: "0:02:00"`), the project's own callbacks by `class_path`, and
`ckpt_path` (`last`: auto-resume). Its `--ckpt_path` option is a resume the user gives. With
`run=False` the project calls `cli.trainer.fit(...)` itself.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from auditor import rxcache
from auditor.evidence.code.facts import AUTORESUME, LOG, SAVE, Call, CodeEvidence, Effect, Interval, LoopCall, ResumeLoad
from auditor.evidence.code.fwcommon import (Site, config_call, framework_loop, imports, keyword, keyword_line,
                                              package, sites)
from auditor.evidence.code.syntax import names_in

if TYPE_CHECKING:
    from auditor.evidence.code.configfiles import ConfigFiles, Node
    from auditor.evidence.code.flow import _Analysis
    from auditor.evidence.code.scan import FileScan

LIGHTNING = ("lightning", "pytorch_lightning")
TRIGGERS = (("every_n_train_steps", "steps"), ("train_time_interval", "time"), ("every_n_epochs", "epochs"))
BATCH_HOOKS = {"on_train_batch_end", "on_train_batch_start", "on_batch_end", "on_before_optimizer_step",
               "on_after_backward"}
EPOCH_HOOKS = {"on_train_epoch_end", "on_train_epoch_start", "on_validation_epoch_end", "on_epoch_end",
               "on_validation_end"}
_YAML_CHECKPOINT = r"^(?:lightning\.pytorch|pytorch_lightning|lightning)\.callbacks\.(?:model_checkpoint\.)?ModelCheckpoint$"
_YAML_TRAINER = r"^(?:lightning\.pytorch|pytorch_lightning|lightning)(?:\.trainer)*\.(?:trainer\.)?Trainer$"
# LightningCLI also resolves a callback's bare class name
_CLI_CHECKPOINT = r"^(?:(?:lightning\.pytorch|pytorch_lightning|lightning)\.callbacks\.(?:model_checkpoint\.)?)?ModelCheckpoint$"
_TIMEDELTA = rxcache.compile(r"^\s*(?:(\d+) days?, )?(\d+):(\d{1,2}):(\d{1,2}(?:\.\d+)?)\s*$")


def add(ev: CodeEvidence, scans: list[FileScan], analysis: _Analysis, configs: ConfigFiles) -> None:
    ours = [s for s in scans if imports(s, LIGHTNING)]
    if not ours:
        return
    every = [x for scan in ours for x in sites(scan)]
    instantiates = any(x.call.short == "instantiate" for scan in scans for x in sites(scan))
    clis = _clis(scans, every)
    cli_nodes = configs.commanded() if clis else []
    policies = [(x.call, _code_intervals(x, analysis)) for x in every
                if x.call.short == "ModelCheckpoint" and package(x.call) in LIGHTNING]
    if instantiates:
        policies += [(_yaml_call(n), _yaml_intervals(n, "Hydra instantiates"))
                     for n in configs.targets(_YAML_CHECKPOINT)]
    policies += [(_yaml_call(n), _yaml_intervals(n, "LightningCLI builds"))
                 for n in configs.class_paths(cli_nodes, _CLI_CHECKPOINT)]
    fits = _fits(every, bool(instantiates and configs.targets(_YAML_TRAINER)), clis)
    fit = next((s for s in fits + [c for c in clis if _runs(c)] if _reachable(ev, s.call)), None)
    loop_calls: list[LoopCall] = []
    periodic = [(call, found) for call, found in policies if found]
    intervals = [i for _, found in policies for i in found]
    ev.intervals = ev.intervals + tuple(intervals)
    if fit is not None and periodic:
        loop_calls.append(framework_loop(fit.call, Effect(SAVE, periodic[0][0], ("Lightning Trainer",))))
        ev.save_intervals = ev.save_intervals + tuple(periodic[0][1])
    if fit is not None:
        loop_calls += _step_logs(every, fit)
    named = {n.values["class_path"].rsplit(".", 1)[-1] for n in cli_nodes if isinstance(n.values.get("class_path"), str)}
    if instantiates:
        named |= {n.values["_target_"].rsplit(".", 1)[-1] for n in configs.nodes
                  if isinstance(n.values.get("_target_"), str)}
    loop_calls += _hook_calls(scans, analysis, named)
    ev.loop_calls = ev.loop_calls + tuple(loop_calls)
    _resumes(ev, fits, analysis)
    _cli_resumes(ev, [c for c in clis if _runs(c)], cli_nodes)


def _reachable(ev: CodeEvidence, call: Call) -> bool:
    return call.function in ("<module>", "<main>") or f"{call.file}::{call.function}" in ev.reachable


def _fits(every: list[Site], yaml_trainer: bool, clis: list[Site]) -> list[Site]:
    """`trainer.fit(...)` where `trainer` is bound to a Lightning Trainer (or `Trainer(...).fit()`, or
    `cli.trainer.fit(...)` of a LightningCLI built with `run=False`)."""
    trainers: set[str] = set()
    for s in every:
        made = (s.call.short.endswith("Trainer") and package(s.call) in LIGHTNING) or (
            yaml_trainer and s.call.short == "instantiate" and s.node.args and "trainer" in names_in(s.node.args[0]))
        if made:
            for names, value in s.function.assigns:
                if value is s.node:
                    trainers |= names
    built = {id(c.node) for c in clis}
    cli_names = {n for s in every for names, value in s.function.assigns if id(value) in built for n in names}
    out = []
    for s in every:
        if s.call.short != "fit" or not isinstance(s.node.func, ast.Attribute):
            continue
        receiver = s.node.func.value
        of_cli = isinstance(receiver, ast.Attribute) and receiver.attr == "trainer" and bool(
            names_in(receiver.value) & cli_names)
        if names_in(receiver) & trainers or of_cli or (isinstance(receiver, ast.Call) and package(s.call) in LIGHTNING):
            out.append(s)
    return out


def _clis(scans: list[FileScan], every: list[Site]) -> list[Site]:
    """`LightningCLI(...)` calls, or calls of a project class derived from it."""
    derived: set[str] = set()
    for _ in range(4):
        derived |= {cls for scan in scans for cls, (bases, _line) in scan.classes.items()
                    if any((b.split(".")[0] in LIGHTNING and b.endswith(".LightningCLI")) or b.split(".")[-1] in derived
                           for b in bases)}
    return [s for s in every if (s.call.short == "LightningCLI" and package(s.call) in LIGHTNING)
            or s.call.short in derived]


def _runs(cli: Site) -> bool:
    """The CLI runs the subcommand it is given (`fit`) unless built with `run=False`."""
    run = keyword(cli.node, "run")
    return not (isinstance(run, ast.Constant) and run.value is False)


# --------------------------------------------------------------------------- checkpoint intervals


def _code_intervals(site: Site, analysis: _Analysis) -> list[Interval]:
    node = site.node
    out = []
    for name, unit in TRIGGERS:
        value_node = keyword(node, name)
        if value_node is None or (isinstance(value_node, ast.Constant) and value_node.value in (None, 0)):
            continue
        line = keyword_line(node, name)
        value = analysis.values.resolve(value_node, site.scan, site.function)
        text = site.scan.seg(value_node)
        where = f"{site.call.file}:{line} ModelCheckpoint({name}=...)"
        if value is None or value.number is None:
            out.append(Interval(name, text, None, unit, None, site.call.file, line, where,
                                f"Lightning ModelCheckpoint({name}=...); default is an expression ({text})"))
            continue
        seconds = value.number if unit == "time" else None
        declared = value.number if value.how == "literal" else value.number / (value.factor or 1)
        out.append(Interval(name, f"{declared:g}" if value.how != "literal" else text, value.number, unit, seconds,
                            value.file, value.line, where if value.how != "literal" else "ModelCheckpoint",
                            f"Lightning ModelCheckpoint({name}=...)"
                            + (f"; {value.name} = {declared:g} ({value.how})" if value.name else "")))
    triggers = {name for name, _ in TRIGGERS}
    if not triggers & {k.arg for k in node.keywords} and not any(k.arg is None for k in node.keywords):
        out.append(Interval("every_n_epochs", "", 1.0, "epochs", None, site.call.file, node.lineno, "ModelCheckpoint",
                            "no trigger given: Lightning's ModelCheckpoint saves at every epoch end"))
    return out


def _yaml_call(node: Node) -> Call:
    key = next((k for k, _ in TRIGGERS if node.values.get(k) not in (None, 0)), "_target_")
    return config_call(node.file, node.line_of(key), "ModelCheckpoint", f"{key}: {node.values.get(key)}")


def _yaml_intervals(node: Node, built_by: str) -> list[Interval]:
    out = []
    for name, unit in TRIGGERS:
        value = node.values.get(name)
        if value in (None, 0):
            continue
        where = f"{node.file}:{node.line_of(name)} ModelCheckpoint {name}"
        number_ = float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
        if unit == "time" and number_ is None and isinstance(value, str):
            number_ = _timedelta_seconds(value)
        seconds = number_ if unit == "time" else None
        out.append(Interval(name, str(value), number_, unit if number_ is not None else "unknown", seconds, node.file,
                            node.line_of(name), where, f"{name}: {value} in the ModelCheckpoint config {built_by}"))
    if not out and not any(k in node.values for k, _ in TRIGGERS):
        out.append(Interval("every_n_epochs", "", 1.0, "epochs", None, node.file, node.line, "ModelCheckpoint",
                            "no trigger given: Lightning's ModelCheckpoint saves at every epoch end"))
    return out


def _timedelta_seconds(text: str) -> float | None:
    """A `timedelta` as configuration text gives it (`"0:02:00"`, `"1 day, 0:00:00"`), in seconds."""
    m = _TIMEDELTA.match(text)
    if m is None:
        return None
    days, hours, minutes, seconds = (float(g) if g else 0.0 for g in m.groups())
    return days * 86400 + hours * 3600 + minutes * 60 + seconds


# --------------------------------------------------------------------------- logging and callbacks


def _step_logs(every: list[Site], fit: Site) -> list[LoopCall]:
    """`self.log` in `training_step`: every step by default, every epoch with `on_step=False`."""
    out: list[LoopCall] = []
    for s in every:
        func = s.node.func
        if s.function.name != "training_step" or not isinstance(func, ast.Attribute) \
                or func.attr not in ("log", "log_dict") or not (isinstance(func.value, ast.Name)
                                                               and func.value.id == "self"):
            continue
        on_step = keyword(s.node, "on_step")
        per_step = not (isinstance(on_step, ast.Constant) and on_step.value is False)
        effect = Effect(LOG, s.call, ("Lightning Trainer", s.function.qualname))
        if per_step:
            return [framework_loop(fit.call, effect)]
        if not out:
            out.append(framework_loop(fit.call, effect, batch=False))
    return out


def _hook_calls(scans: list[FileScan], analysis: _Analysis, named: set[str]) -> list[LoopCall]:
    """Calls in the batch and epoch hooks of Lightning Callback subclasses the project creates (in code, or
    by name in the configuration the CLI or Hydra builds)."""
    created = {c.short for scan in scans for fs in scan.scopes() for c, _ in fs.calls} | named
    out: list[LoopCall] = []
    for scan in scans:
        for cls, (bases, _line) in scan.classes.items():
            if cls not in created or not any(b.split(".")[0] in LIGHTNING and b.endswith("Callback") for b in bases):
                continue
            for hook in sorted(BATCH_HOOKS | EPOCH_HOOKS):
                qual = f"{scan.rel}::{cls}.{hook}"
                for call, targets, tags in analysis.sites.get(qual, []):
                    effects = analysis.call_effects(call, targets, tags, in_loop_only=False)
                    if effects:
                        out.append(LoopCall(call, depth=1, batch_loop=hook in BATCH_HOOKS, effects=effects))
    return out


# --------------------------------------------------------------------------- resume


def _resumes(ev: CodeEvidence, fits: list[Site], analysis: _Analysis) -> None:
    loads: list[ResumeLoad] = []
    auto: list[Effect] = []
    for site in fits:
        value = keyword(site.node, "ckpt_path")
        if value is None or (isinstance(value, ast.Constant) and value.value in (None, False)):
            continue
        last = isinstance(value, ast.Constant) and value.value == "last"
        qual = f"{site.scan.rel}::{site.function.qualname}"
        disc = analysis.taints.get(qual, (set(), set()))[1]
        discovers = last or bool(names_in(value) & disc)
        keys = [a.value for sub in ast.walk(value) if isinstance(sub, ast.Call) for a in sub.args
                if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        user = ", ".join(keys) or ", ".join(sorted(names_in(value) - {"self", "cfg", "args", "config"}))
        load = ResumeLoad(site.call, from_resume=True, from_discovery=discovers, reachable=_reachable(ev, site.call),
                          user_source="" if last else user, restores_state=True,
                          state_detail="Lightning restores the whole training state from ckpt_path",
                          discovered_at=(site.call.file, site.call.line) if discovers else ("", 0))
        loads.append(load)
        if discovers and load.reachable:  # "last" starts fresh when nothing was saved yet
            auto.append(Effect(AUTORESUME, site.call))
    ev.resume_loads = ev.resume_loads + tuple(loads)
    ev.resume_passed = ev.resume_passed + tuple(r.call for r in loads)
    ev.auto_resume = ev.auto_resume + tuple(auto)



def _cli_resumes(ev: CodeEvidence, clis: list[Site], nodes: list[Node]) -> None:
    """LightningCLI's `fit --ckpt_path PATH` passes the user's path to `Trainer.fit`; `ckpt_path: last` in its
    configuration makes Lightning find the newest checkpoint itself."""
    last = next((n for n in nodes if n.values.get("ckpt_path") == "last"), None)
    loads, auto = [], []
    for site in clis:
        load = ResumeLoad(site.call, from_resume=True, from_discovery=last is not None,
                          reachable=_reachable(ev, site.call), user_source="--ckpt_path", restores_state=True,
                          state_detail=f"{site.call.file}:{site.call.line} LightningCLI's fit subcommand passes "
                                       "--ckpt_path to Trainer.fit, which restores model, optimizer and loop state",
                          discovered_at=(last.file, last.line_of("ckpt_path")) if last is not None else ("", 0))
        loads.append(load)
        if last is not None and load.reachable:
            auto.append(Effect(AUTORESUME, site.call))
    ev.resume_loads = ev.resume_loads + tuple(loads)
    ev.resume_passed = ev.resume_passed + tuple(r.call for r in loads)
    ev.auto_resume = ev.auto_resume + tuple(auto)
