"""Framework adapters: what PyTorch Lightning, the Hugging Face `transformers.Trainer`,
Accelerate and Orbax calls say, read into the same facts the plain-PyTorch analysis fills.

A team that trains with a framework states its checkpoint policy in framework calls and
configuration, not in a loop of its own. The adapters read the files `scan` already parsed
(and the configuration files discovery found), never importing the framework or the project:

- `site_tags` (before the analysis): effects of framework methods on objects bound to the
  framework's classes: TensorFlow's `tf.train.Checkpoint` / `CheckpointManager` `.save()` saves and
  `.restore(manager.latest_checkpoint)` restores the newest checkpoint (found by TensorFlow);
  Accelerate's `accelerator.save_state()` saves, `.load_state()` loads,
  `.print()` logs, `.backward()` takes a step; Orbax's `manager.restore()` loads; a DeepSpeed
  engine's `save_checkpoint()` saves, `.backward()` / `.step()` take a step, and `.load_checkpoint(dir)`
  without a tag loads the checkpoint `<dir>/latest` names (it finds the newest itself).
- `add_framework_evidence` (after it): Lightning (auditor.evidence.code.fw_lightning) and
  transformers (auditor.evidence.code.fw_hf) loops, intervals and resumes; handlers registered
  on an engine's events (auditor.evidence.code.fw_events, PyTorch-Ignite and the like); fastai
  learners' fits and callbacks (auditor.evidence.code.fw_fastai); Keras fits and their callbacks
  (auditor.evidence.code.fw_keras); skorch nets and their callbacks (auditor.evidence.code.fw_skorch);
  stable-baselines3's learn and its callbacks (auditor.evidence.code.fw_sb3);
  mmengine Runners and their config files' hooks
  (auditor.evidence.code.fw_mmengine); Orbax's
  `CheckpointManagerOptions(save_interval_steps=...)`.

A call counts only when its name resolves (through the file's imports) to the framework's
package: a `ModelCheckpoint` of one's own is not Lightning's.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from auditor.evidence.code import fw_events, fw_fastai, fw_hf, fw_keras, fw_lightning, fw_mmengine, fw_sb3, fw_skorch
from auditor.evidence.code.facts import DISCOVERY, LOAD, LOG, SAVE, STEP, CodeEvidence, Interval
from auditor.evidence.code.fwcommon import bound_to, imports, keyword, keyword_line, package, receiver_of, sites

if TYPE_CHECKING:  # the scans are read through their attributes; this module never runs the scan
    from auditor.evidence.code.configfiles import ConfigFiles
    from auditor.evidence.code.flow import _Analysis
    from auditor.evidence.code.scan import FileScan

ACCELERATE = ("accelerate",)
ORBAX = ("orbax",)
_ACCELERATOR_METHODS = {"save_state": {SAVE}, "load_state": {LOAD}, "print": {LOG}, "backward": {STEP}}
_MANAGER_METHODS = {"restore": {LOAD}, "latest_step": {DISCOVERY}}
DEEPSPEED = ("deepspeed",)
_ENGINE_METHODS = {"save_checkpoint": {SAVE}, "load_checkpoint": {LOAD}, "backward": {STEP}, "step": {STEP}}
TENSORFLOW = ("tensorflow",)
_TF_CHECKPOINT_METHODS = {"restore": {LOAD}, "read": {LOAD}, "save": {SAVE}, "write": {SAVE},
                          "restore_or_initialize": {LOAD, DISCOVERY}}


# --------------------------------------------------------------------------- before the analysis


def site_tags(scans: list[FileScan] | tuple[FileScan, ...]) -> dict[int, set[str]]:
    """Effects of Accelerate and Orbax methods on the objects a file binds to their classes."""
    tags: dict[int, set[str]] = {}
    for scan in scans:
        tags.update(fw_keras.site_tags(scan))
        for packages, classes, methods in ((ACCELERATE, ("Accelerator",), _ACCELERATOR_METHODS),
                                           (ORBAX, ("CheckpointManager",), _MANAGER_METHODS),
                                           (DEEPSPEED, ("initialize", "DeepSpeedEngine"), _ENGINE_METHODS),
                                           (TENSORFLOW, ("Checkpoint", "CheckpointManager"), _TF_CHECKPOINT_METHODS)):
            if not imports(scan, packages):
                continue
            bound = bound_to(scan, packages, classes)
            for s in sites(scan):
                method = s.call.short
                if method in methods and receiver_of(s.node) in bound:
                    extra = set(methods[method])
                    if method == "load_state" and not s.node.args and not s.node.keywords:
                        extra.add(DISCOVERY)  # automatic checkpoint naming: the newest checkpoint_N
                    if method == "load_checkpoint" and _no_tag(s.node):
                        extra.add(DISCOVERY)  # DeepSpeed follows the `latest` file its saves rewrite
                    if method in ("restore", "read") and _latest(s.node):
                        extra.add(DISCOVERY)  # TensorFlow's newest checkpoint of the manager's folder
                    tags[id(s.node)] = extra
    return tags


def _latest(node: ast.Call) -> bool:
    """`ckpt.restore(manager.latest_checkpoint)` / `ckpt.restore(tf.train.latest_checkpoint(dir))`: the newest
    checkpoint, found by TensorFlow (None on a first start, which restores nothing)."""
    arg = node.args[0] if node.args else keyword(node, "save_path")
    target = arg.func if isinstance(arg, ast.Call) else arg
    return isinstance(target, ast.Attribute) and target.attr == "latest_checkpoint"


def _no_tag(node: ast.Call) -> bool:
    """`engine.load_checkpoint(dir)` with no tag (or `tag=None`): the tag is read from `<dir>/latest`."""
    tag = keyword(node, "tag")
    return len(node.args) < 2 and (tag is None or (isinstance(tag, ast.Constant) and tag.value is None))


# --------------------------------------------------------------------------- after the analysis


def add_framework_evidence(ev: CodeEvidence, scans: list[FileScan], analysis: _Analysis,
                           configs: ConfigFiles) -> None:
    """Append what Lightning / transformers / Orbax calls and configuration say to `ev`."""
    fw_lightning.add(ev, scans, analysis, configs)
    fw_hf.add(ev, scans, analysis, configs)
    fw_events.add(ev, scans, analysis)
    fw_fastai.add(ev, scans, analysis)
    fw_keras.add(ev, scans, analysis)
    fw_skorch.add(ev, scans, analysis)
    fw_sb3.add(ev, scans, analysis)
    fw_mmengine.add(ev, scans, analysis)
    _orbax_intervals(ev, scans, analysis)


def _orbax_intervals(ev: CodeEvidence, scans: list[FileScan], analysis: _Analysis) -> None:
    """`CheckpointManagerOptions(save_interval_steps=N)`: the manager saves every N steps of `save()` calls."""
    out: list[Interval] = []
    for scan in scans:
        if not imports(scan, ORBAX):
            continue
        for s in sites(scan):
            if s.call.short != "CheckpointManagerOptions" or package(s.call) not in ORBAX:
                continue
            node = keyword(s.node, "save_interval_steps")
            value = analysis.values.resolve(node, scan, s.function) if node is not None else None
            line = keyword_line(s.node, "save_interval_steps")
            where = f"{scan.rel}:{line} CheckpointManagerOptions(save_interval_steps=...)"
            if value is None or value.number is None:
                steps = 1.0 if node is None else None
                reason = "not given: the manager saves at every save() call" if node is None else \
                    "its value could not be followed"
                out.append(Interval("save_interval_steps", "1" if node is None else scan.seg(node), steps, "steps",
                                    None, scan.rel, line, where, reason))
            else:
                out.append(Interval("save_interval_steps", f"{value.number:g}", value.number, "steps", None,
                                    value.file, value.line, where, f"Orbax saves every N steps; {value.name or 'N'} = "
                                                                   f"{value.number:g} ({value.how})"))
    ev.save_intervals = ev.save_intervals + tuple(out)
