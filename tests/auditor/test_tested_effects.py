"""Tested?: what an assertion reads must really be the rule's effect, and an unknown is never ✅.

Small projects written here (not the corpus): a test that asserts only on the final checkpoint,
or on a resume line printed to stdout, drives training and passes, yet shows neither saves
during training nor per-step log lines; a test skipped only on some machines, with no JUnit
result, is no evidence either way; a launcher option that merely starts with `--load` hands
training no checkpoint; a fixture's own text is not what a test asserts on; and calling a
documented training script's `main()` in-process drives training even when discovery took
another script for the entry point.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import auditor.probes  # noqa: F401  (fills the registry)
from auditor.config import load_config
from auditor.evidence import Evidence
from auditor.model import PROBES, Verdict
from auditor.resolve import resolve

SRC = {
    "README.md": "Train with `python train.py --max-steps 100`.\n",
    "train.py": textwrap.dedent("""\
        import argparse


        def main():
            p = argparse.ArgumentParser()
            p.add_argument("--max-steps", type=int, default=100)
            args = p.parse_args()
            for step in range(args.max_steps):
                loss.backward()
                opt.step()


        if __name__ == "__main__":
            main()
        """),
}

HEADER = '''
import os
import re
import subprocess
import sys

import pytest


def train(tmp_path, *extra):
    done = subprocess.run([sys.executable, "train.py", "--out", str(tmp_path), *extra],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done


def status(tmp_path):
    return dict(line.split(": ", 1) for line in (tmp_path / "status.txt").read_text().splitlines())
'''


def _write(root: Path, files: dict[str, str]) -> Evidence:
    for rel, text in {**SRC, **files}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(textwrap.dedent(text), encoding="utf-8")
    return Evidence(resolve(load_config(root)))


def _junit(module: str, *names: str, outcome: str = "") -> str:
    cases = "".join(f'<testcase classname="tests.{module}" name="{n}" time="1">{outcome}</testcase>' for n in names)
    return f'<?xml version="1.0"?><testsuites><testsuite name="pytest">{cases}</testsuite></testsuites>'


def _project(root: Path, tests: str, *, junit: bool = True, outcome: str = "") -> Evidence:
    source = HEADER + textwrap.dedent(tests)
    names = [line.split("(")[0][4:] for line in source.splitlines() if line.startswith("def test_")]
    files = {"tests/test_train.py": source}
    if junit:
        files["reports/junit.xml"] = _junit("test_train", *names, outcome=outcome)
    return _write(root, files)


def _verdict(ev: Evidence, effect: str, **params):
    return PROBES["tests.effect_tested"](ev, effect=effect, **params)


def _effects(ev: Evidence) -> dict[str, frozenset[str]]:
    return {t.name: t.effects for t in ev.tests.tests}


# --------------------------------------------------------------------------- checkpoints


def test_a_final_checkpoint_alone_is_no_evidence_of_saves_during_training(tmp_path):
    """False ✅ class: 'the checkpoint files training writes' from the final checkpoint's name."""
    ev = _project(tmp_path, '''
        def test_status_is_rewritten_while_training(tmp_path):
            train(tmp_path, "--max-steps", "100")
            seen = [1, 2]
            assert len(seen) >= 2
            final = status(tmp_path)
            assert final["state"] == "finished"
            assert final["last_checkpoint"].endswith("step_000100")
        ''')
    assert "checkpoints" not in _effects(ev)["test_status_is_rewritten_while_training"]
    for rule in ("periodic-checkpoints", "checkpoint-interval"):
        r = _verdict(ev, "checkpoints", requirement=rule)
        assert r.verdict == Verdict.NO, r.summary
        assert "one checkpoint" in r.summary and "test_status_is_rewritten_while_training" in r.summary


def test_the_final_checkpoints_of_two_runs_are_no_evidence_of_saves_during_training(tmp_path):
    ev = _project(tmp_path, '''
        def test_resume_from_continues(tmp_path):
            train(tmp_path, "--max-steps", "40")
            saved = tmp_path / "checkpoints" / "step_000040"
            assert (saved / "meta.json").is_file()
            train(tmp_path, "--max-steps", "60", "--resume-from", str(saved))
            assert (tmp_path / "checkpoints" / "step_000060" / "meta.json").is_file()
        ''')
    assert "checkpoints" not in _effects(ev)["test_resume_from_continues"]
    assert _verdict(ev, "checkpoints").verdict == Verdict.NO


def test_checkpoints_named_in_a_test_that_trains_twice_are_the_runs_ends_not_saves_during_training(tmp_path):
    """Two runs told to stop by epoch, checkpoints named by step: which names are the runs' final
    saves cannot be told, so the names alone are no evidence of saves during training."""
    ev = _project(tmp_path, '''
        def test_resume_continues(tmp_path):
            train(tmp_path, "--epochs", "3")
            assert (tmp_path / "ckpt" / "ckpt_000300.pt").is_file()
            train(tmp_path, "--epochs", "6", "--resume", str(tmp_path / "ckpt" / "ckpt_000300.pt"))
            assert (tmp_path / "ckpt" / "ckpt_000600.pt").is_file()
        ''')
    assert "checkpoints" not in _effects(ev)["test_resume_continues"]
    assert _verdict(ev, "checkpoints").verdict == Verdict.NO


def test_checkpoints_written_during_training_are_evidence_in_every_usual_form(tmp_path):
    ev = _project(tmp_path, '''
        def test_two_step_named_files_one_assertion_each(tmp_path):
            train(tmp_path, "--max-iters", "60", "--ckpt-every", "20")
            names = [p.name for p in (tmp_path / "out").iterdir()]
            assert "ckpt_000020.pt" in names
            assert "ckpt_000040.pt" in names


        def test_a_count_of_checkpoints(tmp_path):
            train(tmp_path)
            saved = sorted((tmp_path / "checkpoints").glob("*.pt"))
            assert len(saved) >= 2


        def test_their_times(tmp_path):
            train(tmp_path)
            mtimes = [os.path.getmtime(p) for p in sorted((tmp_path / "ckpts").glob("*.pt"))]
            assert all(b - a >= 0.9 for a, b in zip(mtimes, mtimes[1:]))


        def test_a_count_of_logged_saves(tmp_path):
            out = train(tmp_path).stdout
            timer_saves = [line for line in out.splitlines() if "reason=timer" in line]
            assert len(timer_saves) >= 2


        def test_steps_of_the_listed_checkpoints(tmp_path):
            train(tmp_path, "--max-steps", "30")
            steps = sorted(int(p.stem) for p in (tmp_path / "checkpoints").iterdir())
            assert steps == [10, 20, 30]


        def test_one_step_named_save_before_the_last_step(tmp_path):
            train(tmp_path, "--max-iters", "60", "--ckpt-every", "20")
            assert (tmp_path / "out" / "ckpt_000020.pt").is_file()
        ''')
    effects = _effects(ev)
    assert all("checkpoints" in effects[name] for name in effects), effects
    assert _verdict(ev, "checkpoints").verdict == Verdict.YES


def test_one_checkpoint_whose_step_is_unknown_is_not_taken_for_a_save_during_training(tmp_path):
    ev = _project(tmp_path, '''
        def test_a_checkpoint_exists(tmp_path):
            train(tmp_path)
            assert (tmp_path / "out" / "ckpt_000020.pt").is_file()


        def test_a_model_file_of_many_shapes(tmp_path):
            train(tmp_path)
            import torch
            state = torch.load(tmp_path / "out" / "model.pt")
            assert state["weight"].shape == (16, 3)
        ''')
    assert not any("checkpoints" in e for e in _effects(ev).values())
    assert _verdict(ev, "checkpoints").verdict == Verdict.NO


# --------------------------------------------------------------------------- per-step log lines


def test_a_resume_line_on_stdout_is_not_a_per_step_log_line(tmp_path):
    """False ✅ class: 'asserts on per-step log lines' from a resume line with a step in it."""
    ev = _project(tmp_path, '''
        def test_killed_run_continues(tmp_path):
            train(tmp_path, "--max-steps", "20")
            newest = max((tmp_path / "checkpoints").glob("ckpt-*.pt"))
            saved_step = int(newest.stem.split("-")[1])
            again = train(tmp_path, "--max-steps", "30")
            assert f"resumed from {newest} (newest by mtime): step {saved_step}" in again.stdout
            assert f"saved checkpoint at step {saved_step}" in again.stdout
        ''')
    assert "step_log" not in _effects(ev)["test_killed_run_continues"]
    assert "resumed" in _effects(ev)["test_killed_run_continues"]
    assert _verdict(ev, "step_log").verdict == Verdict.NO


def test_per_step_loss_lines_still_count(tmp_path):
    ev = _project(tmp_path, '''
        LINE = re.compile(r"step (\\d+) \\| loss [\\d.]+")


        def test_a_line_every_step(tmp_path):
            out = train(tmp_path, "--max-steps", "20").stdout
            assert [int(s) for s in LINE.findall(out)] == list(range(1, 21))


        def test_a_resume_then_loss_lines(tmp_path):
            out = train(tmp_path, "--max-steps", "20").stdout
            assert "resumed from" in out
            assert re.findall(r"step\\s+(\\d+) \\| loss", out) == ["15", "20"]
        ''')
    assert all("step_log" in e for e in _effects(ev).values()), _effects(ev)
    assert _verdict(ev, "step_log").verdict == Verdict.YES


def test_the_step_records_of_a_json_lines_log_are_per_step_log_lines(tmp_path):
    """Held-out corpus project chronos: its test reads train.jsonl's records and asserts on their
    steps. The step of a progress file, or of a checkpoint, is no per-step log line."""
    ev = _project(tmp_path, '''
        import json


        def read_log(run_dir):
            with open(run_dir / "train.jsonl") as fh:
                return [json.loads(line) for line in fh if line.strip()]


        def test_a_record_every_ten_steps(tmp_path):
            train(tmp_path, "--max-steps", "50")
            steps = [r["step"] for r in read_log(tmp_path) if r["msg"] == "train"]
            assert steps == [10, 20, 30, 40, 50]


        def test_the_progress_file_has_the_last_step(tmp_path):
            train(tmp_path, "--max-steps", "50")
            state = json.loads((tmp_path / "progress.json").read_text())
            assert state["step"] == 50


        def test_the_checkpoint_has_the_last_step_and_the_log_exists(tmp_path):
            train(tmp_path, "--max-steps", "50")
            ckpt = json.loads((tmp_path / "last.json").read_text())
            assert ckpt.get("step") == 50 and (tmp_path / "train.log").exists()


        def test_heartbeats_while_the_first_batch_runs(tmp_path):
            train(tmp_path, "--max-steps", "2")
            beats = [json.loads(x) for x in (tmp_path / "heartbeat.jsonl").read_text().splitlines()]
            assert len([b for b in beats if b["step"] == 0]) >= 4
        ''')
    effects = _effects(ev)
    # a heartbeat's JSON lines carry a step too: they are heartbeat records, not per-step log lines
    # (compliant's test_heartbeat_ticks_while_a_batch_is_stuck)
    assert "step_log" not in effects["test_heartbeats_while_the_first_batch_runs"], effects
    assert "step_log" in effects["test_a_record_every_ten_steps"], effects
    assert "step_log" not in effects["test_the_progress_file_has_the_last_step"], effects
    assert "step_log" not in effects["test_the_checkpoint_has_the_last_step_and_the_log_exists"], effects
    assert _verdict(ev, "step_log").verdict == Verdict.YES


def test_a_fresh_start_asserted_absent_is_no_fresh_start(tmp_path):
    """Held-out corpus project hydra_plain asserts `"starting from scratch" not in log` after its
    relaunch, beside `"resumed from" in log`: a resume, not a fresh start. A test that asserts the
    fresh start is there still sees none."""
    ev = _project(tmp_path, '''
        def test_relaunch_picks_up_last_checkpoint(tmp_path):
            train(tmp_path, "--max-steps", "20")
            log = train(tmp_path, "--max-steps", "30").stdout
            assert "resumed from" in log
            assert "starting from scratch" not in log


        def test_fresh_flag_starts_over(tmp_path):
            train(tmp_path, "--max-steps", "20")
            log = train(tmp_path, "--max-steps", "30", "--fresh").stdout
            assert "resumed from" not in log
            assert "starting from scratch" in log
        ''')
    effects = _effects(ev)
    assert "resumed" in effects["test_relaunch_picks_up_last_checkpoint"], effects
    assert "resumed" not in effects["test_fresh_flag_starts_over"], effects
    assert _verdict(ev, "resumed", automatic=True).verdict == Verdict.YES


# --------------------------------------------------------------------------- skips


def test_a_test_skipped_only_on_some_machines_with_no_result_is_no_evidence(tmp_path):
    ev = _project(tmp_path, '''
        torch = pytest.importorskip("torch")
        pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


        def test_checkpoints(tmp_path):
            train(tmp_path, "--max-steps", "20", "--save-every", "5")
            assert sorted(p.name for p in (tmp_path / "ckpt").iterdir()) == ["step5", "step10", "step15"]
        ''', junit=False)
    r = _verdict(ev, "checkpoints")
    assert r.verdict == Verdict.NO_EVIDENCE, r.summary
    assert "no JUnit result" in r.summary and "skipif" in r.summary


def test_a_test_always_skipped_is_no_and_a_skip_in_junit_stays_no(tmp_path):
    ev = _project(tmp_path / "a", '''
        @pytest.mark.skip(reason="flaky")
        def test_checkpoints(tmp_path):
            train(tmp_path, "--max-steps", "20", "--save-every", "5")
            assert len(list((tmp_path / "ckpt").glob("*.pt"))) >= 3
        ''', junit=False)
    r = _verdict(ev, "checkpoints")
    assert r.verdict == Verdict.NO and "marked skip" in r.summary, r.summary
    ev = _project(tmp_path / "b", '''
        @pytest.mark.skipif(not os.environ.get("SLOW"), reason="slow")
        def test_checkpoints(tmp_path):
            train(tmp_path, "--max-steps", "20", "--save-every", "5")
            assert len(list((tmp_path / "ckpt").glob("*.pt"))) >= 3
        ''', outcome='<skipped message="slow"/>')
    r = _verdict(ev, "checkpoints")
    assert r.verdict == Verdict.NO and "skipped" in r.summary, r.summary


# --------------------------------------------------------------------------- resume options and fixtures


def test_a_launcher_option_that_starts_with_load_hands_training_no_checkpoint(tmp_path):
    ev = _project(tmp_path, '''
        def test_requeued_attempt_continues(tmp_path):
            train(tmp_path, "--loader-delay", "0.1", "--max-steps", "300")
            again = train(tmp_path, "--loader-delay", "0.1", "--max-steps", "300").stdout
            assert "resumed from" in again
        ''')
    t = ev.tests.tests[0]
    assert not t.resume_option
    assert _verdict(ev, "resumed", automatic=True).verdict == Verdict.YES


def test_a_fixture_that_mentions_restarts_does_not_make_its_users_assert_on_a_resume(tmp_path):
    ev = _project(tmp_path, '''
        @pytest.fixture
        def job(tmp_path):
            class Job:
                def start(self, *flags, restart=0):
                    env = {"SLURM_RESTART_COUNT": str(restart)}
                    return subprocess.Popen([sys.executable, "train.py", *flags], env=env)

                def lines(self):
                    return (tmp_path / "job.out").read_text().splitlines()

            yield Job()


        def test_loss_lines(job):
            assert job.start("--max-steps", "200").wait() == 0
            assert len(job.lines()) > 10
        ''')
    assert "resumed" not in _effects(ev)["test_loss_lines"]
    assert _verdict(ev, "resumed").verdict == Verdict.NO


# --------------------------------------------------------------------------- what drives training


def test_calling_a_documented_training_scripts_main_drives_training_whatever_the_entry(tmp_path):
    files = {
        "README.md": "Predict with `python predict.py`.\n\nTrain with `python train.py --epochs 8`.\n",
        "train.py": "def get_learner(path):\n    return Learner(path)\n\n\ndef main(epochs=8, path='work'):\n"
                    "    learn = get_learner(path)\n    learn.fit_one_cycle(epochs, 3e-3, cbs=[Save(every_epoch=True)])\n"
                    "    return learn\n",
        "predict.py": "def main(path='work'):\n    learn = load_learner(path)\n    print(learn.predict(1))\n\n\n"
                      "if __name__ == '__main__':\n    main()\n",
        "tests/test_train.py": textwrap.dedent('''
            import train


            def test_a_model_file_after_every_epoch(tmp_path):
                train.main(epochs=3, path=str(tmp_path))
                saved = sorted(p.name for p in (tmp_path / "models").glob("*.pth"))
                assert saved == ["model_0.pth", "model_1.pth", "model_2.pth"]


            def test_the_learner_has_a_path(tmp_path):
                learn = train.get_learner(tmp_path)
                assert learn.path == tmp_path
            '''),
    }
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text, encoding="utf-8")
    ev = Evidence(resolve(load_config(tmp_path)))
    t = {f.name: f for f in ev.tests.tests}
    assert t["test_a_model_file_after_every_epoch"].drives_entry
    assert not t["test_the_learner_has_a_path"].drives_entry  # a helper of the script, not its entry
    r = _verdict(ev, "checkpoints")
    assert r.verdict == Verdict.NO_EVIDENCE and "no JUnit result" in r.summary, r.summary


def test_a_main_of_another_module_with_the_scripts_file_name_does_not_drive_training(tmp_path):
    files = {
        "README.md": "Train with `python train.py`.\n",
        "train.py": "def main():\n    for b in data:\n        loss.backward()\n        opt.step()\n\n\n"
                    "if __name__ == '__main__':\n    main()\n",
        "tools/__init__.py": "",
        "tools/train.py": "def main():\n    print('lint the configs')\n",
        "tests/test_tools.py": textwrap.dedent('''
            from tools import train


            def test_the_config_linter(tmp_path):
                train.main()
                assert len(list((tmp_path / "checkpoints").glob("*.pt"))) >= 2
            '''),
    }
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text, encoding="utf-8")
    ev = Evidence(resolve(load_config(tmp_path)))
    assert not ev.tests.tests[0].drives_entry  # tools/train.py is not the documented train.py


def test_unittest_skip_decorators_are_read_like_pytest_marks(tmp_path):
    ev = _project(tmp_path, '''
        import unittest


        class TrainTest(unittest.TestCase):
            @unittest.skip("flaky on CI")
            def test_checkpoints_always_skipped(self):
                train(self.tmp, "--max-steps", "20", "--save-every", "5")
                self.assertGreaterEqual(len(list((self.tmp / "ckpt").glob("*.pt"))), 3)

            @unittest.skipIf(not os.environ.get("GPU"), "needs a GPU")
            def test_heartbeat_on_a_gpu(self):
                train(self.tmp, "--max-steps", "20")
                self.assertTrue((self.tmp / "heartbeat.log").exists())
        ''', junit=False)
    r = _verdict(ev, "checkpoints")
    assert r.verdict == Verdict.NO and "marked skip" in r.summary, r.summary
    r = _verdict(ev, "heartbeat")
    assert r.verdict == Verdict.NO_EVIDENCE and "skipif" in r.summary, r.summary


# --------------------------------------------------------------------------- checkpoint names listed


def test_checkpoint_files_of_one_naming_asserted_as_a_list_are_saves_during_training(tmp_path):
    """Three names of one pattern that differ in their numbers: one run ends with one save, so the
    others were written during training (Keras' `ckpt-e{epoch}-b{batch}.keras`)."""
    ev = _project(tmp_path, '''
        def test_every_n_batches(tmp_path):
            train(tmp_path, "--epochs", "2", "--ckpt-every", "40")
            names = sorted(p.name for p in (tmp_path / "checkpoints").glob("*.keras"))
            assert names == ["ckpt-e01-b0040.keras", "ckpt-e02-b0017.keras", "ckpt-e02-b0057.keras"]
        ''')
    assert "checkpoints" in _effects(ev)["test_every_n_batches"]
    assert _verdict(ev, "checkpoints").verdict == Verdict.YES


def test_listed_files_of_one_save_are_not_saves_during_training(tmp_path):
    """Shards of one save (`-00001-of-00002`, one file a rank), a save at step 0 beside the final one,
    and the files of two runs that each end with a save are no evidence of saves during training."""
    ev = _project(tmp_path, '''
        def test_sharded_weights(tmp_path):
            train(tmp_path)
            names = sorted(p.name for p in (tmp_path / "checkpoint").iterdir())
            assert names == ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]


        def test_one_file_a_rank(tmp_path):
            train(tmp_path)
            assert sorted(os.listdir(tmp_path / "ckpt")) == ["ckpt_rank0.pt", "ckpt_rank1.pt"]


        def test_the_initial_and_the_final_save(tmp_path):
            train(tmp_path, "--max-steps", "20")
            assert sorted(os.listdir(tmp_path / "ckpt")) == ["ckpt_0.pt", "ckpt_20.pt"]


        def test_two_runs_each_ending_with_a_save(tmp_path):
            train(tmp_path, "--epochs", "1")
            train(tmp_path, "--epochs", "2", "--resume", str(tmp_path / "ckpt"))
            assert sorted(os.listdir(tmp_path / "ckpt")) == ["ckpt-e01.keras", "ckpt-e02.keras"]
        ''')
    assert not any("checkpoints" in e for e in _effects(ev).values()), _effects(ev)
    assert _verdict(ev, "checkpoints").verdict == Verdict.NO
