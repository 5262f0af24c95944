"""Foreign run folders as other teams' trainers leave them: the corpus runs, really made by
running the projects (tests/corpus/_make/), staged with their recorded mtimes.

The run folder is given as a user would (`--run`); nothing else is configured. Each run's
Working? column must equal its hand labels, and the pieces that decide it are checked on
their own: sessions split at restarts, saves read from logs (one file overwritten in place),
gaps within sessions with the end-of-training save left out, heartbeat gaps never across a
crash's downtime, explicit resumes told apart from automatic ones, per-step lines in several
formats without evaluation lines, and a line number on every log citation.
"""

from __future__ import annotations

import pytest

import auditor.probes  # noqa: F401  (registers the probes)
from auditor.config import ProjectConfig, load_config
from auditor.evidence import Evidence
from auditor.evidence import run as run_ev
from auditor.model import PROBES, Verdict
from auditor.resolve import resolve
from tests.auditor.corpus import CORPUS, known_miss, label, stage

WORKING = {  # rule -> (probe, params) of the built-in rules' Working? column
    "periodic-checkpoints": ("run.periodic_checkpoints", {"min_count": 2}),
    "checkpoint-interval": ("run.checkpoint_gaps", {"min_s": 60, "max_s": 300}),
    "progress-file": ("run.progress_fresh", {"max_s": 60}),
    "batch-monitoring": ("run.batch_logging", {}),
    "heartbeat": ("run.heartbeat", {"max_s": 60}),
    "resume": ("run.resumed", {}),
    "auto-resume": ("run.auto_resumed", {}),
}
RUNS = {"accel": "runs/exp1", "compliant": "runs/main", "hf_cli": "out", "hf_json": "outputs",
        "lit_hydra": "logs/train/runs/2026-12-02_16-09-02", "lit_python": "outputs", "lookalike": "results/run_001",
        "nanoscript": "out", "nodocs": "checkpoints", "overwrite": "run", "ownwords": "outputs/demo",
        "tddhistory": "out", "trainerpkg": "runs/demo", "ignite_run": "outputs/exp1", "ddp_script": "run",
        "registry_runner": "work_dirs/mlp_toy", "notebook_export": "checkpoints", "rl_loop": "runs/grid5",
        "slurm_requeue": "scratch", "diffusion_ema": "experiments/rect8", "make_pipeline": "work",
        "keras_backup": "artifacts/run1", "dcp_monorepo": "experiments/tiny", "fabric_loop": "out/exp1",
        "watchdog_proc": "runs/exp01", "half_done": "outputs", "mmengine_cfg": "work_dirs/mlp-3x256_noisysine_8k",
        "timm_style": "output/train/20261203-075903-tiny_cnn-32", "fairseq_style": "checkpoints/toy_lstm",
        "wandb_offline": "checkpoints", "lit_cli": "lightning_logs", "chronos": "runs/demo",
        "recipe_tune": "outputs/tiny_lm", "shell_env": "runs/exp1", "hydra_plain": "checkpoints/tiny",
        "numpy_ini": "runs/default", "absl_flags": "runs/base", "typer_st": "runs/base",
        "torchrun_snap": "runs/demo", "nb_drive": "drive", "sk_stream": "models",
        "act_ckpt": "runs/tiny", "tb_fire": "runs/tiny", "gin_rst": "runs/base", "skorch_cb": "runs/meter",
        "mlflow_track": "checkpoints", "tyro_preempt": "runs/wave-a", "yacs_hooks": "output",
        "sb3_rl": "runs/cartpole_ppo", "unittest_xml": "runs/mlp-small", "systemd_svc": "runs/prod"}


def _config(project):
    """What `audit check --run` reads with: nothing configured, the rest discovered."""
    return resolve(load_config(project))


def _evidence(tmp_path, name):
    project = stage(name, tmp_path)
    return Evidence(_config(project), project / RUNS[name])


def _run(tmp_path, name):
    project = stage(name, tmp_path)
    return run_ev.collect(_config(project), project / RUNS[name])


def test_every_corpus_run_is_listed():
    import yaml

    with_runs = {p.parent.name for p in CORPUS.glob("*/expected.yaml")
                 if yaml.safe_load(p.read_text())["run"] is not None}
    assert with_runs == set(RUNS)


@pytest.mark.parametrize("name", sorted(RUNS))
def test_the_working_column_equals_the_hand_labels(tmp_path, name):
    ev = _evidence(tmp_path, name)
    wrong = []
    for rule, (probe, params) in WORKING.items():
        result = PROBES[probe](ev, **params)
        expected = label(name, rule, "working")["verdict"]
        if known_miss(name, rule, "working"):
            assert result.verdict.value != expected, f"{rule} is right now: remove it from corpus.KNOWN_MISSES"
            assert result.verdict != Verdict.YES, (rule, result.summary)
        elif result.verdict.value != expected:
            wrong.append(f"{rule}: label {expected}, got {result.verdict.value}: {result.summary}")
        if result.verdict == Verdict.YES:  # a ✅ always names what decided it
            assert result.citations, (rule, result.summary)
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("name,restart_line", [("trainerpkg", 447), ("hf_cli", 158), ("nanoscript", 56),
                                               ("overwrite", 28), ("lit_python", 20), ("accel", 76),
                                               ("compliant", 67), ("hf_json", 20), ("tddhistory", 28),
                                               ("ignite_run", 41), ("ddp_script", 35), ("rl_loop", 94),
                                               ("registry_runner", 1)])
def test_a_run_is_split_into_sessions_at_its_restart(tmp_path, name, restart_line):
    run = _run(tmp_path, name)
    first, second = run.log.sessions
    assert second.start_source.endswith(f":{restart_line}"), second.start_source
    assert first.ended == "killed" and run.restarts == 1
    if first.start is not None:  # the timeline draws the same sessions
        assert [s.start_source for s in run.history.sessions] == [first.start_source, second.start_source]


def test_four_or_more_corpus_runs_hold_a_kill_and_a_restart(tmp_path):
    restarted = [n for n in RUNS if _run(tmp_path / n, n).restarts >= 1]
    assert len(restarted) >= 4 and {"trainerpkg", "nanoscript", "hf_cli", "lit_python", "accel", "compliant",
                                     "overwrite", "tddhistory"} <= set(restarted), restarted


def test_one_file_overwritten_at_every_save_counts_each_logged_save(tmp_path):
    run = _run(tmp_path, "overwrite")
    assert [c.file for c in run.checkpoints] == ["last.pt"]
    assert run.saves_recorded == 6  # lines 15, 27, 37, 46, 56, 65; line 71 is the end-of-training save
    result = PROBES["run.periodic_checkpoints"](Evidence(ProjectConfig(root=tmp_path / "overwrite"),
                                                         tmp_path / "overwrite" / "run"), min_count=2)
    assert result.verdict == Verdict.YES and any(c.line == 15 for c in result.citations)


@pytest.mark.parametrize("name,files", [
    ("nodocs", {"step_000050.pt", "step_000300.pt"}), ("trainerpkg", {"checkpoints/ckpt_0000191.pt"}),
    ("lit_hydra", {"checkpoints/step_000100.ckpt"}), ("lit_python", {"checkpoints/epoch=1-step=167.ckpt"}),
    ("hf_json", {"checkpoint-64"}), ("accel", {"checkpoints/checkpoint_3"}), ("ownwords", {"state-000323.pt"}),
    ("tddhistory", {"ckpt_000200.pt"}), ("compliant", {"checkpoints/step-000885.pt"}),
    ("diffusion_ema", {"checkpoints/step_000546", "checkpoints/step_001078"})])
def test_step_and_epoch_named_checkpoints_and_checkpoint_folders_are_periodic(tmp_path, name, files):
    run = _run(tmp_path, name)
    periodic = {c.file for c in run.periodic()}
    assert files <= periodic, (periodic, [(c.file, c.kind, c.status) for c in run.checkpoints])


@pytest.mark.parametrize("name,largest,first_delay", [("overwrite", 76, 90), ("compliant", 76, 76),
                                                      ("trainerpkg", 66.5, 67), ("ownwords", 90.1, 91),
                                                      ("lit_python", 60.5, 63), ("diffusion_ema", 150.1, 152),
                                                      ("slurm_requeue", 120.1, 128), ("make_pipeline", 240.1, 241)])
def test_gaps_are_measured_within_sessions_without_the_end_of_training_save(tmp_path, name, largest, first_delay):
    gaps = _run(tmp_path, name).gaps
    assert gaps.largest_s is not None and 59.5 <= gaps.largest_s <= largest, gaps
    assert gaps.smallest_s >= 59.5, gaps  # the final save seconds after the last periodic one is no gap
    assert gaps.first_delay_s is not None and gaps.first_delay_s <= first_delay, gaps


def test_gaps_without_times_are_estimated_from_the_logged_iteration_times(tmp_path):
    gaps = _run(tmp_path, "nanoscript").gaps
    assert gaps.largest_s is not None and gaps.largest_s < 60 and "estimated" in gaps.source


@pytest.mark.parametrize("name,downtime", [("trainerpkg", 85), ("accel", 53), ("compliant", 36)])
def test_heartbeat_gaps_are_never_measured_across_a_crash(tmp_path, name, downtime):
    run = _run(tmp_path, name)
    assert run.heartbeat_gaps.largest_s is not None and run.heartbeat_gaps.largest_s < downtime
    assert run.heartbeat_gaps.largest_s <= 16


@pytest.mark.parametrize("name,explicit", [("hf_json", True), ("tddhistory", True), ("nanoscript", True),
                                           ("accel", False), ("compliant", False), ("trainerpkg", False),
                                           ("hf_cli", False), ("overwrite", False), ("lit_python", False),
                                           ("ignite_run", True), ("ddp_script", False), ("rl_loop", False)])
def test_explicit_resume_is_told_apart_from_automatic(tmp_path, name, explicit):
    result = PROBES["run.auto_resumed"](_evidence(tmp_path, name))
    assert result.verdict == (Verdict.NO if explicit else Verdict.YES), result.summary
    assert all(c.line for c in result.citations), result.citations


@pytest.mark.parametrize("name,first_line", [("tddhistory", 2), ("nanoscript", 30), ("hf_cli", 140),
                                             ("lookalike", 2), ("trainerpkg", 3)])
def test_per_step_lines_in_common_formats_not_evaluation_lines(tmp_path, name, first_line):
    batch = _run(tmp_path, name).batch_log
    assert batch.first_line == first_line, batch
    text = (tmp_path / name / RUNS[name] / batch.file).read_text() if (tmp_path / name / RUNS[name] / batch.file
                                                                          ).exists() else \
        (tmp_path / name / batch.file).read_text()
    evaluation = [line for line in text.splitlines() if "eval" in line or "val loss" in line]
    assert batch.lines <= len(text.splitlines()) - len(evaluation)


def test_lightning_metrics_csv_step_rows_count_and_epoch_rows_do_not(tmp_path):
    assert PROBES["run.batch_logging"](_evidence(tmp_path / "a", "lit_python")).verdict == Verdict.YES
    result = PROBES["run.batch_logging"](_evidence(tmp_path / "b", "lit_hydra"))
    assert result.verdict == Verdict.NO


@pytest.mark.parametrize("name", sorted(RUNS))
def test_every_log_citation_has_a_line(tmp_path, name):
    ev = _evidence(tmp_path, name)
    for probe, params in WORKING.values():
        for c in PROBES[probe](ev, **params).citations:
            if c.source.endswith((".log", ".jsonl", ".csv", ".txt")):
                assert c.line, (probe, c)


def test_a_resume_set_in_the_config_file_the_command_names_is_explicit(tmp_path):
    """The restart's command line has no resume option, but the YAML it names sets resume_from."""
    project = stage("trainerpkg", tmp_path)
    demo = project / "configs" / "demo.yaml"
    demo.write_text(demo.read_text() + "resume_from: runs/demo/checkpoints/ckpt_0000404.pt\n")
    result = PROBES["run.auto_resumed"](Evidence(ProjectConfig(root=project), project / RUNS["trainerpkg"]))
    assert result.verdict == Verdict.NO and "resume_from" in result.summary, result.summary


def test_a_line_that_says_it_is_not_resuming_is_no_resume(tmp_path):
    (tmp_path / "ckpt_000010.pt").write_bytes(b"\x80\x04}\x94.")
    (tmp_path / "train.log").write_text(
        "2026-01-01 10:00:00 start pid=1 argv: train.py\n"
        "2026-01-01 10:00:05 step 10 loss 1.0\n"
        "2026-01-01 10:00:06 saved ckpt_000010.pt\n"
        "2026-01-01 10:05:00 start pid=2 argv: train.py\n"
        "2026-01-01 10:05:01 not resuming: --fresh given\n"
        "2026-01-01 10:05:05 step 10 loss 1.0\n")
    run = run_ev.collect(ProjectConfig(root=tmp_path), tmp_path)
    assert run.restarts == 1 and run.resumes == ()
    assert PROBES["run.resumed"](Evidence(ProjectConfig(root=tmp_path), tmp_path)).verdict == Verdict.NO
