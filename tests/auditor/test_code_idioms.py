"""Code idioms other teams write for resume, heartbeat and logging, on small projects written here.

- an existence-checked restore at start-up of a path the code builds from the user's output
  folder (`if self.snapshot_path.exists(): self._load_snapshot()`): resume and automatic resume;
- a `--resume` option whose default picks the newest checkpoint (`latest`): automatic resume;
  the same option defaulting to nothing: only when asked (partial);
- a pointer file naming the last checkpoint, followed when a resume setting is on;
- a self-re-arming `threading.Timer` that touches a file: a heartbeat thread; a file touched
  only from the batch loop: partial (it stalls with the loop);
- a warm-up threshold that stays true once reached keeps a per-step log per step;
- an experiment tracker's `run.log({...})` is a log call, a tensor's `x.log()` is not;
- an early `return` / `continue` guards what follows it, as an `if` around it would.
"""

from __future__ import annotations

from auditor.model import Verdict
from tests.auditor.test_code_events import audit, cited

MAIN = """

if __name__ == "__main__":
    main()
"""


def script(body: str) -> dict[str, str]:
    import textwrap

    return {"train.py": textwrap.dedent(body) + MAIN}


SNAPSHOT = """
import argparse
import time
from pathlib import Path

import torch


class Trainer:
    def __init__(self, args):
        self.args = args
        self.model = torch.nn.Linear(2, 1)
        self.opt = torch.optim.AdamW(self.model.parameters())
        self.snapshot_path = Path(args.out) / "snapshot.pt"
        self.step = 0
        if self.snapshot_path.exists():
            self._load_snapshot()

    def _load_snapshot(self):
        snap = torch.load(self.snapshot_path)
        self.model.load_state_dict(snap["MODEL"])
        self.opt.load_state_dict(snap["OPT"])
        self.step = snap["STEP"]

    def train(self):
        for x in range(100):
            loss = self.model(torch.zeros(2)).sum()
            loss.backward()
            self.opt.step()
            self.step += 1
            {loop_extra}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", default="run")
    Trainer(p.parse_args()).train()
"""


def test_an_existence_checked_restore_at_start_up_is_resume_and_auto_resume(tmp_path):
    r = audit(tmp_path, script(SNAPSHOT.replace("{loop_extra}", "")))
    assert r["auto"].verdict == Verdict.YES, r["auto"].summary
    assert "train.py:16" in cited(r["auto"]), r["auto"].citations  # the existence check
    assert r["resume"].verdict == Verdict.YES, r["resume"].summary


def test_a_file_touched_only_from_the_batch_loop_is_a_partial_heartbeat(tmp_path):
    r = audit(tmp_path, script(SNAPSHOT.replace("{loop_extra}", '(Path(self.args.out) / "alive").touch()')))
    assert r["heartbeat"].verdict == Verdict.PARTIAL, r["heartbeat"].summary
    assert "train.py:31" in cited(r["heartbeat"]), r["heartbeat"].citations


LATEST = """
import argparse
from pathlib import Path

import torch


def newest(folder):
    found = []
    for p in Path(folder).glob("ep_*.pt"):
        found.append((int(p.stem[3:]), p))
    return max(found)[1] if found else None


def pick(value, folder):
    if value == "none":
        return None
    if value == "latest":
        return newest(folder)
    return Path(value)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--resume", default={default})
    args = p.parse_args()
    model = torch.nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    start = 0
    path = pick(args.resume, "ckpts")
    if path is not None:
        state = torch.load(path)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        start = state["episode"]
    for episode in range(start, 100):
        loss = model(torch.zeros(2)).sum()
        loss.backward()
        opt.step()
"""


def test_a_resume_option_defaulting_to_latest_is_auto_resume(tmp_path):
    r = audit(tmp_path, script(LATEST.replace("{default}", '"latest"')))
    assert r["auto"].verdict == Verdict.YES, r["auto"].summary
    assert r["resume"].verdict == Verdict.YES, r["resume"].summary


def test_the_same_option_defaulting_to_nothing_resumes_only_when_asked(tmp_path):
    r = audit(tmp_path, script(LATEST.replace("{default}", "None")))
    assert r["auto"].verdict == Verdict.PARTIAL, r["auto"].summary
    assert r["resume"].verdict == Verdict.YES, r["resume"].summary


POINTER = """
import os.path as osp

import torch


class Runner:
    def __init__(self, work_dir, resume={resume}):
        self.work_dir = work_dir
        self.resume = resume
        self.model = torch.nn.Linear(2, 1)
        self.opt = torch.optim.SGD(self.model.parameters(), lr=0.1)

    def save_checkpoint(self, name):
        path = osp.join(self.work_dir, name)
        torch.save({"model": self.model.state_dict(), "opt": self.opt.state_dict()}, path)
        with open(osp.join(self.work_dir, "last_checkpoint"), "w") as f:
            f.write(path)

    def resume_checkpoint(self, filename):
        state = torch.load(filename)
        self.model.load_state_dict(state["model"])
        self.opt.load_state_dict(state["opt"])

    def load_or_resume(self):
        if self.resume:
            pointer = osp.join(self.work_dir, "last_checkpoint")
            if osp.exists(pointer):
                with open(pointer) as f:
                    last = f.read().strip()
                self.resume_checkpoint(last)

    def train(self):
        self.load_or_resume()
        for epoch in range(10):
            loss = self.model(torch.zeros(2)).sum()
            loss.backward()
            self.opt.step()
            self.save_checkpoint(f"epoch_{epoch}.pth")


def main():
    Runner("work").train()
"""


def test_a_pointer_file_to_the_last_checkpoint_followed_by_default_is_auto_resume(tmp_path):
    r = audit(tmp_path, script(POINTER.replace("{resume}", "True")))
    assert r["auto"].verdict == Verdict.YES, r["auto"].summary


def test_a_pointer_file_followed_only_when_a_setting_off_by_default_is_on_is_partial(tmp_path):
    r = audit(tmp_path, script(POINTER.replace("{resume}", "False")))
    assert r["auto"].verdict == Verdict.PARTIAL, r["auto"].summary


TIMER = """
import threading
from pathlib import Path

import torch


class Heartbeat:
    def __init__(self, path, every):
        self.path = Path(path)
        self.every = every
        self._timer = None

    def _beat(self):
        {touch}
        self._timer = threading.Timer(self.every, self._beat)
        self._timer.daemon = True
        self._timer.start()

    def start(self):
        self._beat()
        return self


def main():
    model = torch.nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    {start}
    for step in range(100):
        loss = model(torch.zeros(2)).sum()
        loss.backward()
        opt.step()
"""


def test_a_self_re_arming_timer_that_touches_a_file_is_a_heartbeat_thread(tmp_path):
    r = audit(tmp_path, script(TIMER.replace("{touch}", "self.path.touch()")
                               .replace("{start}", 'Heartbeat("run/beat", 10.0).start()')))
    assert r["heartbeat"].verdict == Verdict.YES, r["heartbeat"].summary


def test_a_timer_refreshing_mtimes_with_os_utime_is_a_heartbeat_thread(tmp_path):
    r = audit(tmp_path, script(TIMER.replace("{touch}", "import os; os.utime(self.path)")
                               .replace("{start}", 'Heartbeat("run/beat", 10.0).start()')))
    assert r["heartbeat"].verdict == Verdict.YES, r["heartbeat"].summary


def test_a_touching_timer_never_started_is_no_heartbeat(tmp_path):
    r = audit(tmp_path, script(TIMER.replace("{touch}", "self.path.touch()").replace("{start}", "pass")))
    assert r["heartbeat"].verdict == Verdict.NO, r["heartbeat"].summary


WARMUP = """
import argparse
import logging

import torch

log = logging.getLogger("rl")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--warmup", type=int, default=64)
    p.add_argument("--log-every", type=int, default=50)
    args = p.parse_args()
    model = torch.nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    buffer, updates = [], 0
    for episode in range(100):
        done = False
        while not done:
            buffer.append(episode)
            done = len(buffer) % 7 == 0
            if {warm}:
                loss = model(torch.zeros(2)).sum()
                loss.backward()
                opt.step()
                updates += 1
                if updates % args.log_every == 0:
                    log.info("update %d loss %.4f", updates, loss.item())
"""


def test_a_log_after_a_warm_up_threshold_still_logs_per_step(tmp_path):
    r = audit(tmp_path, script(WARMUP.replace("{warm}", "len(buffer) >= args.warmup")))
    assert r["log"].verdict == Verdict.YES, r["log"].summary


def test_a_log_under_a_metric_test_is_still_partial(tmp_path):
    r = audit(tmp_path, script(WARMUP.replace("{warm}", "len(buffer) >= args.warmup and episode_reward > best")))
    assert r["log"].verdict == Verdict.PARTIAL, r["log"].summary


TRACKER = """
import torch


class OfflineRun:
    def __init__(self, path):
        self._f = open(path, "a")

    def log(self, data, step):
        self._f.write(str(step) + str(data))


def main():
    run = OfflineRun("history.jsonl")
    model = torch.nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for epoch in range(3):
        for x in [torch.zeros(2)] * 10:
            loss = model(x).sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
            {log}
"""


def test_an_experiment_trackers_log_call_in_the_batch_loop_is_batch_logging(tmp_path):
    r = audit(tmp_path, script(TRACKER.replace("{log}", 'run.log({"train/loss": loss.item()}, step=epoch)')))
    assert r["log"].verdict == Verdict.YES, r["log"].summary


def test_a_tensors_log_is_not_a_log_call(tmp_path):
    r = audit(tmp_path, script(TRACKER.replace("{log}", "penalty = x.log().sum() + torch.log(x).mean()")))
    assert r["log"].verdict == Verdict.NO, r["log"].summary


EARLY = """
import time

import torch


def maybe_save(model, step, val_loss, best):
    {exit_test}
    torch.save(model.state_dict(), f"ckpt_{step}.pt")


def main():
    model = torch.nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    best, last = 1e9, time.time()
    for step in range(1000):
        loss = model(torch.zeros(2)).sum()
        loss.backward()
        opt.step()
        maybe_save(model, step, loss.item(), best)
"""


def test_a_save_after_an_early_return_on_a_metric_test_is_partial(tmp_path):
    r = audit(tmp_path, script(EARLY.replace("{exit_test}", "if val_loss >= best:\n        return")))
    assert r["save"].verdict == Verdict.PARTIAL, r["save"].summary
    assert "val_loss >= best" in r["save"].summary


def test_a_save_after_an_early_return_off_the_period_is_periodic(tmp_path):
    r = audit(tmp_path, script(EARLY.replace("{exit_test}", "if step % 500 != 0:\n        return")))
    assert r["save"].verdict == Verdict.YES, r["save"].summary
    assert r["interval"].verdict == Verdict.PARTIAL and "500" in r["interval"].summary, r["interval"].summary


CONTINUE = """
import time

import torch

SAVE_EVERY_S = 120


def main():
    model = torch.nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    last = time.time()
    for step in range(1000):
        loss = model(torch.zeros(2)).sum()
        loss.backward()
        opt.step()
        if time.time() - last < SAVE_EVERY_S:
            continue
        torch.save(model.state_dict(), "ckpt.pt")
        last = time.time()
"""


def test_a_save_after_continue_until_the_time_period_is_a_wall_clock_save(tmp_path):
    r = audit(tmp_path, script(CONTINUE))
    assert r["save"].verdict == Verdict.YES, r["save"].summary
    assert r["interval"].verdict == Verdict.YES, r["interval"].summary
