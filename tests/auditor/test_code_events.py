"""Training driven by events, callbacks and hooks rather than a loop the project writes itself.

Small projects written here in the shapes other teams use: handlers registered on an engine's
events (`@engine.on(Events.ITERATION_COMPLETED(every=N))`, `add_event_handler(event,
Checkpoint(...))`), and hook classes that a runner builds from configuration and calls by name
from its own loop (`self.call_hook("after_train_iter")`). A handler on an iteration event runs
in the per-batch loop, one on an epoch event in the epoch loop, one on a once-only event
(training completed) is not periodic; the event's `every=N` is the guard and the interval.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import auditor.probes  # noqa: F401  (registers the probes)
from auditor.config import load_config
from auditor.evidence import Evidence
from auditor.model import PROBES, ProbeResult, Verdict
from auditor.resolve import resolve

PROBE = {
    "save": ("code.checkpoint_saved_in_loop", {}),
    "log": ("code.batch_logging", {}),
    "interval": ("code.checkpoint_interval", {"min_s": 60, "max_s": 300}),
    "progress": ("code.progress_written_in_loop", {}),
    "heartbeat": ("code.heartbeat_thread", {}),
    "resume": ("code.resume_wired", {}),
    "auto": ("code.auto_resume", {}),
}


def audit(root: Path, files: dict[str, str]) -> dict[str, ProbeResult]:
    """Write a small project and run the code probes on it as a new user would (nothing configured)."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    ev = Evidence(resolve(load_config(root)))
    return {key: PROBES[name](ev, **params) for key, (name, params) in PROBE.items()}


def cited(result: ProbeResult) -> set[str]:
    return {c.location() for c in result.citations}


ENGINE = """
    import argparse
    import logging

    import torch
    from ignite.engine import Engine, Events
    from ignite.handlers import Checkpoint, DiskSaver

    logger = logging.getLogger("t")


    def step(engine, batch):
        model, opt = engine.state.model, engine.state.opt
        opt.zero_grad()
        loss = model(batch).sum()
        loss.backward()
        opt.step()
        return loss.item()


    def run(cfg):
        model = torch.nn.Linear(2, 1)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        trainer = Engine(step)

        @trainer.on(Events.{log_event})
        def log_loss(engine):
            logger.info(f"iteration {{engine.state.iteration}} loss {{engine.state.output}}")

        saver = Checkpoint({{"model": model, "optimizer": opt}}, DiskSaver("ckpts"))
        trainer.add_event_handler(Events.{save_event}, saver)
        {run}


    def main():
        p = argparse.ArgumentParser()
        p.add_argument("--log_every", type=int, default=16)
        p.add_argument("--checkpoint_every", type=int, default=200)
        run(vars(p.parse_args()))


    if __name__ == "__main__":
        main()
"""


def engine_project(log_event="ITERATION_COMPLETED(every=cfg['log_every'])",
                   save_event="ITERATION_COMPLETED(every=cfg['checkpoint_every'])",
                   run="trainer.run(range(10), max_epochs=2)") -> dict[str, str]:
    return {"train.py": ENGINE.format(log_event=log_event, save_event=save_event, run=run)}


def test_handlers_on_iteration_events_every_n_log_per_batch_and_save_periodically(tmp_path):
    r = audit(tmp_path, engine_project())
    assert r["log"].verdict == Verdict.YES, r["log"].summary
    assert "train.py:28" in cited(r["log"]), r["log"].citations  # the logger.info in the handler
    assert r["save"].verdict == Verdict.YES, r["save"].summary
    assert "train.py:30" in cited(r["save"]), r["save"].citations  # the Checkpoint handler
    assert r["interval"].verdict == Verdict.PARTIAL, r["interval"].summary
    assert "200" in r["interval"].summary and "steps" in r["interval"].summary, r["interval"].summary


def test_an_every_epoch_handler_is_periodic_in_epochs_and_logs_per_epoch_only(tmp_path):
    r = audit(tmp_path, engine_project(log_event="EPOCH_COMPLETED", save_event="EPOCH_COMPLETED"))
    assert r["save"].verdict == Verdict.YES, r["save"].summary
    assert r["interval"].verdict == Verdict.PARTIAL and "epoch" in r["interval"].summary, r["interval"].summary
    assert r["log"].verdict == Verdict.PARTIAL, r["log"].summary


def test_a_handler_on_the_completed_event_saves_once_not_periodically(tmp_path):
    r = audit(tmp_path, engine_project(save_event="COMPLETED"))
    assert r["save"].verdict == Verdict.NO, r["save"].summary
    assert r["interval"].verdict == Verdict.NO, r["interval"].summary


def test_a_handler_that_saves_only_on_improvement_is_partial_and_no_interval(tmp_path):
    files = engine_project(save_event="ITERATION_COMPLETED")
    files["train.py"] = files["train.py"].replace(
        'saver = Checkpoint({"model": model, "optimizer": opt}, DiskSaver("ckpts"))',
        'best = [1e9]\n\n    def saver(engine):\n        if engine.state.output < best[0]:\n'
        '            torch.save(model.state_dict(), "best.pt")')
    r = audit(tmp_path, files)
    assert r["save"].verdict == Verdict.PARTIAL and "best-metric" in r["save"].summary, r["save"].summary
    assert r["interval"].verdict == Verdict.NO, r["interval"].summary


def test_handlers_of_an_engine_that_is_never_run_do_not_count(tmp_path):
    r = audit(tmp_path, engine_project(run="return trainer"))
    assert r["save"].verdict == Verdict.NO, r["save"].summary
    assert r["log"].verdict == Verdict.NO, r["log"].summary


RUNNER = """
    import logging
    import os

    import torch

    from .registry import HOOKS


    class Runner:
        def __init__(self, model, loader, hooks, max_epochs):
            self.model, self.loader, self.max_epochs = model, loader, max_epochs
            self.opt = torch.optim.SGD(model.parameters(), lr=0.1)
            self.logger = logging.getLogger("runner")
            self.epoch = 0
            self._hooks = [HOOKS.build(h) for h in hooks]

        def call_hook(self, fn_name, **kwargs):
            for hook in self._hooks:
                getattr(hook, fn_name)(self, **kwargs)

        def save_checkpoint(self, name):
            torch.save({"model": self.model.state_dict(), "opt": self.opt.state_dict()}, name)

        def train(self):
            while self.epoch < self.max_epochs:
                for i, batch in enumerate(self.loader):
                    loss = self.model(batch).sum()
                    self.opt.zero_grad()
                    loss.backward()
                    self.opt.step()
                    self.call_hook("after_train_iter", batch_idx=i, loss=loss.item())
                self.call_hook("after_train_epoch")
                self.epoch += 1
"""

HOOKS = """
    from .registry import HOOKS


    class Hook:
        def after_train_iter(self, runner, batch_idx, loss):
            pass

        def after_train_epoch(self, runner):
            pass

        @staticmethod
        def every_n_iters(batch_idx, n):
            return n > 0 and (batch_idx + 1) % n == 0

        @staticmethod
        def every_n_epochs(runner, n):
            return n > 0 and (runner.epoch + 1) % n == 0


    @HOOKS.register_module()
    class LoggerHook(Hook):
        def __init__(self, interval=10):
            self.interval = interval

        def after_train_iter(self, runner, batch_idx, loss):
            if not self.every_n_iters(batch_idx, self.interval):
                return
            runner.logger.info(f"iter {batch_idx} loss {loss:.4f}")


    @HOOKS.register_module()
    class CheckpointHook(Hook):
        def __init__(self, interval=1):
            self.interval = interval

        def after_train_epoch(self, runner):
            if self.every_n_epochs(runner, self.interval):
                runner.save_checkpoint(f"epoch_{runner.epoch + 1}.pth")
"""

REGISTRY = """
    class Registry:
        def __init__(self):
            self._classes = {}

        def register_module(self):
            def deco(cls):
                self._classes[cls.__name__] = cls
                return cls
            return deco

        def build(self, cfg):
            cfg = dict(cfg)
            return self._classes[cfg.pop("type")](**cfg)


    HOOKS = Registry()
"""

TOOL = """
    import sys

    import torch

    from mini.runner import Runner
    from mini import hooks  # noqa: F401  (registers the hooks)


    def main():
        cfg = {{}}
        exec(open(sys.argv[1]).read(), cfg)
        Runner(torch.nn.Linear(2, 1), [torch.zeros(4, 2)] * 8, cfg["hooks"], cfg["max_epochs"]).train()


    if __name__ == "__main__":
        main()
"""


def runner_project(config_hooks: str) -> dict[str, str]:
    return {"mini/__init__.py": "", "mini/registry.py": REGISTRY, "mini/runner.py": RUNNER, "mini/hooks.py": HOOKS,
            "tools/train.py": TOOL.format(), "configs/toy.py": f"max_epochs = 4\nhooks = {config_hooks}\n",
            "README.md": "Train with `python tools/train.py configs/toy.py`.\n"}


def test_hooks_built_from_configuration_run_in_the_runners_loops(tmp_path):
    r = audit(tmp_path, runner_project("[dict(type='LoggerHook', interval=10), dict(type='CheckpointHook', interval=1)]"))
    assert r["log"].verdict == Verdict.YES, r["log"].summary
    assert "mini/hooks.py:29" in cited(r["log"]), r["log"].citations
    assert r["save"].verdict == Verdict.YES, r["save"].summary
    assert "mini/hooks.py:39" in cited(r["save"]), r["save"].citations
    assert r["interval"].verdict == Verdict.PARTIAL and "epochs" in r["interval"].summary, r["interval"].summary


def test_hook_classes_no_configuration_builds_do_not_count(tmp_path):
    files = runner_project("[]")
    files["mini/__init__.py"] = "__all__ = ['LoggerHook', 'CheckpointHook']\n"  # exported is not built
    r = audit(tmp_path, files)
    assert r["save"].verdict == Verdict.NO, r["save"].summary
    assert r["log"].verdict == Verdict.NO, r["log"].summary
