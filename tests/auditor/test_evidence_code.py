"""Code evidence: AST facts about training code, on small source trees and the seed fixture."""

from __future__ import annotations

import textwrap
from pathlib import Path

from auditor.config import ProjectConfig, load_config
from auditor.evidence import code as code_ev

SEED = Path(__file__).resolve().parents[1] / "fixtures" / "seed_project"


def _project(tmp_path: Path, files: dict[str, str], **cfg) -> ProjectConfig:
    for rel, text in files.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text))
    return ProjectConfig(root=tmp_path, **cfg)


def _tags(lc) -> set[str]:
    return {e.tag for e in lc.effects}


def test_seed_script_facts_carry_file_and_line():
    ev = code_ev.collect(load_config(SEED))
    assert ev.files == ("train_magvit.py",)
    assert ev.entry is not None and ev.entry.name == "train_magvit"
    assert [p.name for p in ev.entry.params] == ["dataset_path", "epochs", "checkpoint_interval", "resume_from"]
    saves = [lc for lc in ev.loop_calls if code_ev.SAVE in _tags(lc)]
    assert {lc.call.line for lc in saves} == {117, 121}
    batch_logs = [lc for lc in ev.loop_calls if code_ev.LOG in _tags(lc) and lc.batch_loop]
    assert batch_logs and batch_logs[0].depth == 2 and batch_logs[0].call.line == 101
    progress = [lc for lc in ev.loop_calls if code_ev.PROGRESS in _tags(lc)]
    assert [lc.call.line for lc in progress] == [109]  # the log-file writes are not progress
    [thread] = ev.threads
    assert (thread.line, thread.target, thread.started) == (88, "heartbeat", True)
    assert code_ev.HEARTBEAT in {e.tag for e in thread.effects}
    [interval] = ev.intervals
    assert (interval.name, interval.value, interval.unit) == ("checkpoint_interval", 10.0, "epochs")
    [main] = [m for m in ev.main_calls if m.target_is_entry]
    assert dict(main.call.kwargs).keys() == {"dataset_path", "epochs"}
    assert ev.resume_passed == () and ev.auto_resume == ()
    loads = [r for r in ev.resume_loads if r.from_resume]
    assert [r.call.line for r in loads] == [75]


def test_alias_self_method_and_helper_chain_reach_save_and_progress(tmp_path):
    cfg = _project(tmp_path, {
        "pkg/ckpt.py": """
            import torch as T

            class Manager:
                def maybe_save(self, step):
                    if self._should_save(step):
                        self._write(step)

                def _should_save(self, step):
                    return True

                def _write(self, step):
                    T.save({"step": step}, "x.pt")
        """,
        "pkg/progress.py": """
            PROGRESS = "progress.json"

            class Reporter:
                def __init__(self, run_dir):
                    self.json_path = run_dir / PROGRESS

                def update(self, step):
                    _atomic_write(self.json_path, str(step))

            def _atomic_write(path, text):
                path.write_text(text)
        """,
        "pkg/train.py": """
            from pkg.ckpt import Manager as M
            from pkg.progress import Reporter
            import logging
            log = logging.getLogger(__name__)

            def run_epoch(loader, mgr, rep):
                for step, batch in enumerate(loader):
                    mgr.maybe_save(step)
                    log.info("step %d", step)

            def train(loader, epochs=3, resume=None):
                mgr = M()
                rep = Reporter(".")
                for epoch in range(epochs):
                    run_epoch(loader, mgr, rep)
                    rep.update(epoch)
        """,
    }, source=("pkg",), entry_point="pkg/train.py:train", main_module="pkg/train.py")
    ev = code_ev.collect(cfg)
    by_short = {lc.call.short: lc for lc in ev.loop_calls}
    save = by_short["maybe_save"].effect(code_ev.SAVE)
    assert save is not None and save.site.name == "T.save".replace("T", "torch") and save.via == (
        "Manager.maybe_save", "Manager._write")
    assert by_short["maybe_save"].depth == 2  # run_epoch is called inside the epoch loop
    assert by_short["info"].batch_loop and code_ev.LOG in _tags(by_short["info"])
    assert by_short["update"].effect(code_ev.PROGRESS) is not None


def test_auto_resume_when_discovery_flows_into_restore(tmp_path):
    src = """
        from pathlib import Path

        def find_latest(run_dir):
            found = sorted(Path(run_dir).glob("*.pt"))
            return found[-1] if found else None

        def load(path):
            return path

        def train(run_dir, resume="auto"):
            path = resume if resume not in ("auto", "never") else find_latest(run_dir)
            if path is not None:
                state = load(path)
            for step in range(10):
                pass
    """
    ev = code_ev.collect(_project(tmp_path, {"t.py": src}, source=("t.py",), entry_point="t.py:train",
                                  main_module="t.py"))
    assert ev.auto_resume and ev.auto_resume[0].site.short == "load"
    [load] = [r for r in ev.resume_loads if r.reachable]
    assert load.from_resume and load.from_discovery


def test_auto_resume_found_through_a_long_chain_of_returning_helpers(tmp_path):
    # the discovered path is returned up through five helpers (defined innermost last, so
    # one pass over the functions cannot carry it up) and through a lambda before the restore
    src = """
        from pathlib import Path

        def train(run_dir, resume="auto"):
            path = on_main(lambda: level4(run_dir, resume))
            if path is not None:
                state = load(path)
            for step in range(10):
                pass

        def on_main(decide):
            return decide()

        def level4(run_dir, resume):
            return level3(run_dir, resume)

        def level3(run_dir, resume):
            return level2(run_dir, resume)

        def level2(run_dir, resume):
            found = level1(run_dir)
            return found

        def level1(run_dir):
            return newest(run_dir)

        def newest(run_dir):
            found = sorted(Path(run_dir).glob("*.pt"))
            return found[-1] if found else None

        def load(path):
            return path
    """
    ev = code_ev.collect(_project(tmp_path, {"t.py": src}, source=("t.py",), entry_point="t.py:train",
                                  main_module="t.py"))
    assert ev.auto_resume and ev.auto_resume[0].site.short == "load"


def test_main_block_that_discovers_and_passes_resume_counts_as_auto_resume(tmp_path):
    src = """
        from pathlib import Path

        def load_checkpoint(path):
            return 0

        def train(epochs=1, resume_from=None):
            if resume_from:
                load_checkpoint(resume_from)
            for e in range(epochs):
                pass

        if __name__ == "__main__":
            existing = sorted(Path("out").glob("*checkpoint_epoch_*.pt"))
            resume_from = existing[-1] if existing else None
            train(epochs=3, resume_from=resume_from)
    """
    ev = code_ev.collect(_project(tmp_path, {"t.py": src}, source=("t.py",), entry_point="t.py:train",
                                  main_module="t.py"))
    assert [c.line for c in ev.resume_passed] == [16]
    assert ev.auto_resume and ev.auto_resume[0].site.line == 16


def test_interval_units_from_value_name_and_usage(tmp_path):
    src = """
        import time
        from dataclasses import dataclass

        @dataclass
        class Cfg:
            checkpoint_every: str = "2m"

        def a(checkpoint_interval_s=90): ...
        def b(save_interval=500):
            step = 0
            if step % save_interval == 0: ...
        def c(checkpoint_interval=30, last=0.0):
            if time.monotonic() - last >= checkpoint_interval: ...
        def d(checkpoint_every="500steps"): ...
        def e(checkpoint_every=7): ...
    """
    ev = code_ev.collect(_project(tmp_path, {"t.py": src}, source=("t.py",), entry_point="t.py:a"))
    got = {(i.where, i.unit, i.seconds) for i in ev.intervals}
    assert got == {("Cfg", "time", 120.0), ("a", "time", 90.0), ("b", "steps", None), ("c", "time", 30.0),
                   ("d", "steps", None), ("e", "unknown", None)}


def test_thread_subclass_timer_and_unstarted_thread(tmp_path):
    src = """
        import threading
        from threading import Timer

        class Beat(threading.Thread):
            def run(self):
                print("heartbeat")

        def tick():
            open("progress.json", "w").write("{}")

        def train():
            Beat().start()
            Timer(30, tick).start()
            threading.Thread(target=lambda: None)
    """
    ev = code_ev.collect(_project(tmp_path, {"t.py": src}, source=("t.py",), entry_point="t.py:train"))
    kinds = {t.kind: t for t in ev.threads}
    assert kinds["subclass"].started and code_ev.HEARTBEAT in {e.tag for e in kinds["subclass"].effects}
    assert kinds["Timer"].target_function == "tick" and code_ev.PROGRESS in {e.tag for e in kinds["Timer"].effects}
    assert len(ev.threads) == 3


def test_syntax_error_is_reported_with_file_and_line_and_nothing_is_executed(tmp_path):
    marker = tmp_path / "executed"
    cfg = _project(tmp_path, {
        "bad.py": "def f(:\n",
        "good.py": f"open({str(marker)!r}, 'w').write('x')\ndef train():\n    for i in range(3):\n        print(i)\n",
    }, source=("bad.py", "good.py"), entry_point="good.py:train")
    ev = code_ev.collect(cfg)
    assert ev.files == ("good.py",)
    assert ev.errors and ev.errors[0].startswith("bad.py:1: syntax error")
    assert not marker.exists()


def test_missing_entry_point_falls_back_to_all_functions(tmp_path):
    ev = code_ev.collect(_project(tmp_path, {"t.py": "def other():\n    for i in range(2):\n        print(i)\n"},
                                  source=("t.py",), entry_point="t.py:train"))
    assert ev.entry is None and ev.loop_calls


def test_our_package_when_present():
    root = Path(__file__).resolve().parents[2]
    ev = code_ev.collect(load_config(root))
    assert not ev.errors
    assert "magvit/config.py" in ev.files
    every = [i for i in ev.intervals if i.name == "checkpoint_every" and i.where == "TrainConfig"]
    assert every and every[0].unit == "time" and every[0].seconds == 120.0


def test_fixed_points_settle_however_deep_the_helpers_go(tmp_path):
    """A save twelve helpers below the loop, a restore six restoring helpers below the entry, and a
    resume argument passed through a chain of assignments written last-first: each propagation runs
    until nothing changes (earlier, 8, 4 and 4 passes cut them off)."""
    depth = 12
    helpers = "".join(f"def h{i}(state):\n    h{i + 1}(state)\n\n" for i in range(1, depth))
    helpers += f"def h{depth}(state):\n    torch.save(state, 'ckpt.pt')\n\n"
    restorers = "".join(f"def r{i}(path):\n    r{i + 1}(path)\n\n" for i in range(1, 6))
    restorers += "def r6(path):\n    load(path)\n\n"
    names = [f"p{i}" for i in range(7)]
    # assignments listed last-first: each pass over them carries the resume value one step
    chain = "".join(f"        {names[i + 1]} = {names[i]} if flag else None\n" for i in reversed(range(6)))
    src = ("import torch\n\n" + helpers + restorers + "def load(path):\n    return path\n\n"
           "def train(resume=None, flag=True):\n    for _ in range(2):\n" + chain
           + "        p0 = resume\n        break\n    r1(p6)\n    for step in range(10):\n        h1(step)\n")
    ev = code_ev.collect(_project(tmp_path, {"t.py": src}, source=("t.py",), entry_point="t.py:train",
                                  main_module="t.py"))
    [save_site] = [lc for lc in ev.loop_calls if lc.call.short == "h1"]
    saved = save_site.effect(code_ev.SAVE)
    assert saved is not None and saved.site.name == "torch.save" and len(saved.via) == depth
    [restore] = [r for r in ev.resume_loads if r.call.short == "r1"]
    assert restore.reachable and restore.from_resume
