"""Tested?: the effects as other frameworks' tests assert on them.

Small projects written here (not the corpus). timm-style scripts print a progress line per
logged batch (`Train: 3 [  40/100 ( 40%)]`), and a test matches it written out or built with
the script's own format; a test that reads a logger's records (caplog) keeps those that start
with the step word and compares the steps; PyTorch Lightning names its checkpoints
`epoch=E-step=S.ckpt`, and a test lists them and compares the steps parsed from the names. An
evaluation line, an epoch counter or the final checkpoint alone stays no.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import auditor.probes  # noqa: F401  (fills the registry)
from auditor.config import load_config
from auditor.evidence import Evidence
from auditor.model import PROBES, Verdict
from auditor.resolve import resolve

SCRIPT = {
    "README.md": "Train with `python fit.py --epochs 3`.\n",
    "fit.py": textwrap.dedent("""\
        import argparse


        def main():
            p = argparse.ArgumentParser()
            p.add_argument("--epochs", type=int, default=3)
            args = p.parse_args()
            for epoch in range(args.epochs):
                for i, batch in enumerate(loader):
                    loss.backward()
                    opt.step()


        if __name__ == "__main__":
            main()
        """),
}

HEADER = '''
import subprocess
import sys


def fit(tmp_path, *extra):
    done = subprocess.run([sys.executable, "fit.py", "--out", str(tmp_path), *extra],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout + done.stderr
'''


def _evidence(root: Path, tests: str, files: dict[str, str] | None = None) -> Evidence:
    source = HEADER + textwrap.dedent(tests)
    names = [line.split("(")[0][4:] for line in source.splitlines() if line.startswith("def test_")]
    cases = "".join(f'<testcase classname="tests.test_fit" name="{n}" time="1"></testcase>' for n in names)
    junit = f'<?xml version="1.0"?><testsuites><testsuite name="pytest">{cases}</testsuite></testsuites>'
    for rel, text in {**SCRIPT, **(files or {}), "tests/test_fit.py": source, "out/junit.xml": junit}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return Evidence(resolve(load_config(root)))


def _effects(ev: Evidence) -> dict[str, frozenset[str]]:
    return {t.name: t.effects for t in ev.tests.tests}


def _verdict(ev: Evidence, effect: str):
    return PROBES["tests.effect_tested"](ev, effect=effect)


# --------------------------------------------------------------------------- per-batch progress lines


def test_a_progress_line_with_a_batch_counter_is_a_per_step_log_line(tmp_path):
    ev = _evidence(tmp_path, '''
        def test_a_counter_line_written_out(tmp_path):
            printed = fit(tmp_path, "--epochs", "1")
            assert "Train: 0 [  10/50 ( 20%)]" in printed


        def test_counter_lines_in_the_scripts_format(tmp_path):
            printed = fit(tmp_path, "--epochs", "2")
            for ep in range(2):
                for b in (0, 5, 10):
                    assert f"Train: {ep} [{b:>3d}/" in printed
        ''')
    effects = _effects(ev)
    assert all("step_log" in e for e in effects.values()), effects
    assert _verdict(ev, "step_log").verdict == Verdict.YES


def test_an_evaluation_counter_or_an_epoch_counter_is_not_a_per_step_log_line(tmp_path):
    ev = _evidence(tmp_path, '''
        def test_the_evaluation_batches(tmp_path):
            printed = fit(tmp_path, "--epochs", "1")
            for b in (0, 5):
                assert f"Test: [{b:>4d}/" in printed


        def test_the_epochs(tmp_path):
            printed = fit(tmp_path, "--epochs", "3")
            assert "Epoch [3/3]" in printed
            assert "Train: 2 [" in printed
        ''')
    effects = _effects(ev)
    assert not any("step_log" in e for e in effects.values()), effects
    assert _verdict(ev, "step_log").verdict == Verdict.NO


# --------------------------------------------------------------------------- a logger's records


def test_records_that_start_with_the_step_word_are_per_step_log_lines(tmp_path):
    ev = _evidence(tmp_path, '''
        import logging

        import fit as script


        def test_every_fifth_iteration_is_logged(caplog):
            caplog.set_level(logging.INFO, logger="fit")
            script.main()
            seen = [r.getMessage().split("=")[1] for r in caplog.records if r.getMessage().startswith("iter=")]
            assert seen == ["5", "10", "15"]


        def test_a_step_record_is_there(caplog):
            script.main()
            assert any(r.message.startswith("Step: ") for r in caplog.records)
        ''')
    effects = _effects(ev)
    assert all("step_log" in e for e in effects.values()), effects
    assert _verdict(ev, "step_log").verdict == Verdict.YES


def test_evaluation_records_or_a_step_key_alone_are_not_per_step_log_lines(tmp_path):
    ev = _evidence(tmp_path, '''
        import logging

        import fit as script


        def test_the_evaluations_are_logged(caplog):
            caplog.set_level(logging.INFO, logger="fit")
            script.main()
            seen = [r.getMessage().split()[2] for r in caplog.records if r.getMessage().startswith("eval at step")]
            assert seen == ["10", "20"]


        def test_the_evaluation_rows(caplog):
            script.main()
            rows = [r.__dict__ for r in caplog.records if hasattr(r, "val_acc")]
            assert [row["step"] for row in rows] == [10, 20]
        ''')
    effects = _effects(ev)
    assert not any("step_log" in e for e in effects.values()), effects


# --------------------------------------------------------------------------- Lightning's checkpoint names


def test_lightning_step_named_checkpoints_besides_the_last_are_saves_during_training(tmp_path):
    """`epoch=E-step=S.ckpt`: the steps parsed from listed names, or the names written out."""
    ev = _evidence(tmp_path, '''
        import os


        def test_the_steps_of_the_saved_files(tmp_path):
            fit(tmp_path, "--epochs", "2")
            files = [p.name for p in (tmp_path / "ckpts").iterdir()]
            saved_at = sorted(int(f.rsplit("step=", 1)[1][:-5]) for f in files if "step=" in f)
            assert saved_at == [25, 50, 75]


        def test_the_names_written_out(tmp_path):
            fit(tmp_path, "--epochs", "2")
            assert sorted(os.listdir(tmp_path / "ckpts")) == ["epoch=0-step=25.ckpt", "epoch=1-step=50.ckpt",
                                                              "last.ckpt"]
        ''')
    effects = _effects(ev)
    assert all("checkpoints" in e for e in effects.values()), effects
    for rule in ("periodic-checkpoints", "checkpoint-interval"):
        assert PROBES["tests.effect_tested"](ev, effect="checkpoints", requirement=rule).verdict == Verdict.YES


def test_the_final_lightning_checkpoint_or_logged_steps_after_a_resume_are_not_saves_during_training(tmp_path):
    ev = _evidence(tmp_path, '''
        import os


        def test_the_final_save(tmp_path):
            fit(tmp_path, "--max-steps", "50")
            assert (tmp_path / "ckpts" / "epoch=1-step=50.ckpt").is_file()


        def test_the_final_save_and_the_last_link(tmp_path):
            fit(tmp_path)
            assert sorted(os.listdir(tmp_path / "ckpts")) == ["epoch=1-step=50.ckpt", "last.ckpt"]


        def test_the_steps_logged_after_a_resume(tmp_path):
            newest = sorted((tmp_path / "ckpts").glob("*.ckpt"))[-1]
            printed = fit(tmp_path, "--ckpt_path", str(newest))
            steps = [int(line.split("step=")[1].split()[0]) for line in printed.splitlines() if "step=" in line]
            assert steps == [60, 70, 80]
        ''')
    effects = _effects(ev)
    assert not any("checkpoints" in e for e in effects.values()), effects
    assert _verdict(ev, "checkpoints").verdict == Verdict.NO
