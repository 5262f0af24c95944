"""Code facts, framework by framework: the corpus projects' In Code? column with no configuration.

Each corpus project is audited as a new user would (discovery finds its code, entry point and
configuration files); its seven In Code? cells must equal the hand labels, and a ✅ or ⚠️
must cite the line that decided it. The pieces are checked on their own too: guards decide
(a save or progress write under a best-metric test is ⚠️ and names the test), intervals are
read with their units through module constants, attributes, option defaults and argument
files, threads count only when started (an attribute started in another method), and
resumes restore training state (a weights-only load is ⚠️).
"""

from __future__ import annotations

import pytest

import auditor.probes  # noqa: F401  (registers the probes)
from auditor.config import load_config
from auditor.evidence import Evidence
from auditor.model import PROBES, Verdict
from auditor.resolve import resolve
from tests.auditor.corpus import CORPUS, known_miss, label, stage

CODE = {
    "periodic-checkpoints": ("code.checkpoint_saved_in_loop", {}),
    "progress-file": ("code.progress_written_in_loop", {}),
    "batch-monitoring": ("code.batch_logging", {}),
    "heartbeat": ("code.heartbeat_thread", {}),
    "resume": ("code.resume_wired", {}),
    "auto-resume": ("code.auto_resume", {}),
    "checkpoint-interval": ("code.checkpoint_interval", {"min_s": 60, "max_s": 300}),
}
PROJECTS = sorted(p.parent.name for p in CORPUS.glob("*/expected.yaml"))


def _evidence(tmp_path, name):
    project = stage(name, tmp_path)
    return Evidence(resolve(load_config(project)))


def _probe(ev, rule):
    probe, params = CODE[rule]
    return PROBES[probe](ev, **params)


@pytest.mark.parametrize("name", PROJECTS)
def test_the_code_column_equals_the_hand_labels(tmp_path, name):
    ev = _evidence(tmp_path, name)
    wrong = []
    for rule in CODE:
        result = _probe(ev, rule)
        expected = label(name, rule, "code")["verdict"]
        if known_miss(name, rule, "code"):
            assert result.verdict.value != expected, f"{rule} is right now: remove it from corpus.KNOWN_MISSES"
            assert result.verdict != Verdict.YES, (rule, result.summary)
        elif result.verdict.value != expected:
            wrong.append(f"{rule}: label {expected}, got {result.verdict.value}: {result.summary}")
        if result.verdict in (Verdict.YES, Verdict.PARTIAL):
            assert result.citations and all(c.line for c in result.citations[:1]), (rule, result.citations)
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("rule,condition", [("periodic-checkpoints", "val_loss < best_val"),
                                            ("progress-file", "loss.item() < best_loss")])
def test_a_write_under_a_condition_that_is_not_a_period_is_partial_and_names_it(tmp_path, rule, condition):
    """False ✅ class: a save / progress write reached only under a best-metric test."""
    result = _probe(_evidence(tmp_path, "lookalike"), rule)
    assert result.verdict == Verdict.PARTIAL, result.summary
    assert condition in result.summary


def test_a_weights_only_restore_is_partial(tmp_path):
    result = _probe(_evidence(tmp_path, "lookalike"), "resume")
    assert result.verdict == Verdict.PARTIAL and "weights" in result.summary, result.summary


def test_discovery_behind_an_option_that_is_off_by_default_is_partial(tmp_path):
    result = _probe(_evidence(tmp_path, "ownwords"), "auto-resume")
    assert result.verdict == Verdict.PARTIAL and "continue_run" in result.summary, result.summary


@pytest.mark.parametrize("name,at,seconds", [("overwrite", "train.py:16", 75), ("trainerpkg", "src/trainerpkg/config.py:23", 120),
                                             ("ownwords", "kestrel/config.py:17", 90), ("compliant", "src/lumen/config.py:15", 75),
                                             ("lit_python", "train.py:27", 60)])
def test_wall_clock_intervals_are_followed_to_their_defaults(tmp_path, name, at, seconds):
    result = _probe(_evidence(tmp_path, name), "checkpoint-interval")
    assert result.verdict == Verdict.YES, result.summary
    assert result.measured["interval_s"] == pytest.approx(seconds)
    assert any(c.location() == at for c in result.citations), result.citations


@pytest.mark.parametrize("name,at", [("nanoscript", "train.py:26"), ("accel", "train.py:32"), ("nodocs", "train.py:11"),
                                     ("tddhistory", "charlm/train.py:24"), ("vidlib", "vidlib/trainer.py:27"),
                                     ("jaxorbax", "configs/default.py:21"), ("lit_hydra", "configs/callbacks/default.yaml:8"),
                                     ("hf_cli", "run_train.py:83"), ("hf_json", "configs/train_args.json:9")])
def test_step_and_epoch_intervals_are_partial_and_cite_where_the_value_is(tmp_path, name, at):
    result = _probe(_evidence(tmp_path, name), "checkpoint-interval")
    assert result.verdict == Verdict.PARTIAL, result.summary
    assert any(c.location() == at for c in result.citations), result.citations


def test_a_step_interval_is_converted_with_the_runs_measured_step_time(tmp_path):
    project = stage("accel", tmp_path)
    ev = Evidence(resolve(load_config(project)), project / "runs" / "exp1")
    result = _probe(ev, "checkpoint-interval")
    assert result.verdict == Verdict.PARTIAL and "in the run" in result.summary, result.summary
    assert result.measured["estimated_s"] == pytest.approx(25 * ev.run.step_seconds, rel=0.01)


def test_an_interval_constant_never_used_as_a_period_is_no_periodic_save(tmp_path):
    result = _probe(_evidence(tmp_path, "lookalike"), "checkpoint-interval")
    assert result.verdict == Verdict.NO and "train_tokenizer.py:16" in {c.location() for c in result.citations}


def test_a_thread_on_an_attribute_started_in_another_method_is_a_heartbeat(tmp_path):
    result = _probe(_evidence(tmp_path, "trainerpkg"), "heartbeat")
    assert result.verdict == Verdict.YES, result.summary
    assert "src/trainerpkg/trainer.py:75" in {c.location() for c in result.citations}


def test_a_thread_never_started_is_no_heartbeat(tmp_path):
    result = _probe(_evidence(tmp_path, "lookalike"), "heartbeat")
    assert result.verdict == Verdict.NO and "never started" in result.summary, result.summary


@pytest.mark.parametrize("name,at", [("hf_cli", "run_train.py:105"), ("accel", "train.py:138"),
                                     ("jaxorbax", "train.py:60"), ("overwrite", "train.py:91")])
def test_auto_resume_is_followed_through_intermediate_variables(tmp_path, name, at):
    result = _probe(_evidence(tmp_path, name), "auto-resume")
    assert result.verdict == Verdict.YES, result.summary
    assert at in {c.location() for c in result.citations}, result.citations


def test_lightning_from_hydra_yaml(tmp_path):
    ev = _evidence(tmp_path, "lit_hydra")
    save = _probe(ev, "periodic-checkpoints")
    assert save.verdict == Verdict.YES and "configs/callbacks/default.yaml:8" in {c.location() for c in save.citations}
    resume = _probe(ev, "resume")
    assert resume.verdict == Verdict.YES and "src/train.py:55" in {c.location() for c in resume.citations}
    assert _probe(ev, "auto-resume").verdict == Verdict.NO
    assert _probe(ev, "batch-monitoring").verdict == Verdict.PARTIAL  # self.log(on_step=False): per epoch


def test_hf_training_arguments_from_a_json_argument_file(tmp_path):
    ev = _evidence(tmp_path, "hf_json")
    logs = _probe(ev, "batch-monitoring")
    assert logs.verdict == Verdict.YES and "configs/train_args.json:11" in {c.location() for c in logs.citations}
