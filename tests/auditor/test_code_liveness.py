"""A liveness file written by a separate process, and file paths handed to the code that writes them.

Small projects written here in the shapes teams use: a watchdog process
(`multiprocessing.Process`, or one made by `get_context("spawn")`) whose target rewrites
`alive.json` on its own period, from a path the training script passes through a helper; the
step it records makes that file the run's progress file too. A progress file's path given to a
callback's constructor (`RunStatus(run_dir / "status.json")`, kept as `self.path`) is the file
its hooks rewrite. A helper that writes whatever path it is given is not a progress writer
when its callers pass it other files as well.
"""

from __future__ import annotations

from auditor.model import Verdict
from tests.auditor.test_code_events import audit, cited

WATCHDOG = """
    import json
    import multiprocessing as mp
    import os
    import time
    from pathlib import Path


    def _write(path, payload):
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(payload))
        os.replace(tmp, path)


    def watch(counter, stop, path, period):
        path = Path(path)
        while True:
            _write(path, {{"step": counter.value, "time": time.time()}})
            if stop.wait(period):
                return


    def start_watchdog(path, period=15.0):
        {context}
        counter = ctx.Value("q", 0, lock=False)
        stop = ctx.Event()
        proc = ctx.Process(target=watch, args=(counter, stop, str(path), period), daemon=True)
        {start}
        return counter, stop, proc
"""

TRAIN = """
    import argparse
    from pathlib import Path

    import torch

    from watchdog import start_watchdog


    def main():
        p = argparse.ArgumentParser()
        p.add_argument("--out", default="runs/a")
        args = p.parse_args()
        out = Path(args.out)
        model = torch.nn.Linear(2, 1)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        counter, stop, dog = start_watchdog(out / "{name}", period=15.0)
        step = 0
        for x in loader:
            loss = model(x).sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
            counter.value = step
        stop.set()


    if __name__ == "__main__":
        main()
"""


def _watchdog(tmp_path, context='ctx = mp.get_context("spawn")', start="proc.start()", name="alive.json"):
    return audit(tmp_path, {"watchdog.py": WATCHDOG.format(context=context, start=start),
                            "train.py": TRAIN.format(name=name)})


def test_a_started_process_rewriting_a_liveness_file_is_a_heartbeat(tmp_path):
    got = _watchdog(tmp_path)
    heartbeat = got["heartbeat"]
    assert heartbeat.verdict == Verdict.YES and "watchdog.py:27" in cited(heartbeat), heartbeat.summary
    assert "watchdog.py:28" in cited(heartbeat), cited(heartbeat)  # proc.start()


def test_the_step_in_the_liveness_file_makes_it_the_progress_file(tmp_path):
    got = _watchdog(tmp_path)
    assert got["progress"].verdict == Verdict.YES, got["progress"].summary


def test_a_plain_multiprocessing_process_counts_as_well(tmp_path):
    text = WATCHDOG.format(context="ctx = mp.get_context()", start="proc.start()")
    text = text.replace("ctx.Process(", "mp.Process(")
    got = audit(tmp_path, {"watchdog.py": text, "train.py": TRAIN.format(name="alive.json")})
    assert got["heartbeat"].verdict == Verdict.YES, got["heartbeat"].summary


def test_a_process_never_started_beats_nothing(tmp_path):
    got = _watchdog(tmp_path, start="pass")
    assert got["heartbeat"].verdict == Verdict.NO, got["heartbeat"].summary


def test_a_process_writing_a_file_that_is_no_liveness_signal_is_no_heartbeat(tmp_path):
    got = _watchdog(tmp_path, name="samples.json")
    assert got["heartbeat"].verdict == Verdict.NO, got["heartbeat"].summary
    assert got["progress"].verdict == Verdict.NO, got["progress"].summary


CALLBACK = """
    import json
    import os
    from pathlib import Path

    import keras


    class RunStatus(keras.callbacks.Callback):
        def __init__(self, path, epochs):
            super().__init__()
            self.path = Path(path)
            self.epochs = epochs

        def on_epoch_end(self, epoch, logs=None):
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps({"epoch": epoch + 1, "of": self.epochs}))
            os.replace(tmp, self.path)


    def main(run_dir="runs/a"):
        run_dir = Path(run_dir)
        model = build_model()
        model.fit(data, epochs=5, callbacks=[RunStatus(run_dir / "status.json", 5)], verbose=2)


    if __name__ == "__main__":
        main()
"""


def test_a_progress_path_given_to_a_callbacks_constructor_is_the_file_its_hook_rewrites(tmp_path):
    got = audit(tmp_path, {"train.py": CALLBACK})
    progress = got["progress"]
    assert progress.verdict == Verdict.YES and {"train.py:17", "train.py:18"} & cited(progress), progress.summary


SHARED_HELPER = """
    import json
    import os

    import torch


    def atomic_write(path, text):
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, path)


    def main():
        model = torch.nn.Linear(2, 1)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        for step, x in enumerate(loader):
            loss = model(x).sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
            if step % 100 == 0:
                atomic_write(f"ckpt/meta-{step}.json", json.dumps({"step": step}))
        atomic_write("progress.json", json.dumps({"done": True}))


    if __name__ == "__main__":
        main()
"""


def test_a_helper_whose_callers_pass_other_files_too_is_no_progress_writer_in_the_loop(tmp_path):
    got = audit(tmp_path, {"train.py": SHARED_HELPER})
    assert got["progress"].verdict == Verdict.NO, got["progress"].summary
