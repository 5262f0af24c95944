"""`audit drill`: real kills (SIGKILL) of real trainer subprocesses, restarts, and the checks judged.

The check functions are pure over recorded observations, so their verdicts are tested on
hand-made observations first; then the whole drill runs against three small fixture
trainers (tests/fixtures/drill) and, marked slow, against our own trainer.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli import main
from auditor.drill import (
    DiskCheckpoint,
    Kill,
    Observations,
    Session,
    check_lost_work,
    check_no_corrupt_loaded,
    check_resumed_from_newest,
    check_run_finished,
)

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "drill"
PATTERN = "checkpoints/epoch_*.json"


# ----------------------------------------------------------------------------- pure checks


def ckpt(step: int, status: str = "valid", kind: str = "periodic") -> DiskCheckpoint:
    return DiskCheckpoint(file=f"checkpoints/step-{step:08d}.pt", position=step, status=status,
                          reason=status, kind=kind)  # fmt: skip


def kill(on_disk, position, index=1) -> Kill:
    return Kill(index=index, mode="random", t_s=1.0, at="2026-01-01T00:00:00.000Z", position=position,
                during_write=False, in_progress=(), on_disk=tuple(on_disk))  # fmt: skip


def session(index, resumed=None, resumed_position=None, first_position=None, first_checkpoint=None,
            exit_code=0, killed=False, fresh=None) -> Session:
    return Session(index=index, exit_code=exit_code, killed=killed, resumed_file=resumed,
                   resumed_position=resumed_position, resume_evidence="events.jsonl" if resumed else "",
                   started_fresh=fresh, first_position=first_position, first_checkpoint=first_checkpoint,
                   output_tail="")  # fmt: skip


def observations(kills, sessions, interval_units=2.0) -> Observations:
    return Observations(kills=tuple(kills), sessions=tuple(sessions), kills_requested=len(kills),
                        interval_units=interval_units, interval_label="2 steps", final=None,
                        timed_out=False)  # fmt: skip


def first_session():
    return session(0, exit_code=-9, killed=True, first_position=1)


def test_resume_from_the_newest_valid_checkpoint_passes():
    k = kill([ckpt(2), ckpt(4), ckpt(6, "uncommitted")], position=6)
    s = session(1, resumed="step-00000004.pt", resumed_position=4, first_position=5)
    check = check_resumed_from_newest(observations([k], [first_session(), s]))
    assert check.verdict == "pass", check
    assert any("step-00000004.pt" in line for line in check.evidence)


def test_resume_from_an_older_checkpoint_fails_naming_both_files():
    k = kill([ckpt(2), ckpt(4)], position=5)
    s = session(1, resumed="step-00000002.pt", resumed_position=2, first_position=3)
    check = check_resumed_from_newest(observations([k], [first_session(), s]))
    assert check.verdict == "fail"
    assert any("step-00000002.pt" in line and "step-00000004.pt" in line for line in check.evidence)


def test_resume_from_a_newer_intact_best_checkpoint_passes():
    # a trainer whose best.pt holds the full state may resume from it when it is the furthest
    best = DiskCheckpoint(file="checkpoints/best.pt", position=5, status="valid", reason="valid", kind="best")
    k = kill([ckpt(2), ckpt(4), best], position=6)
    s = session(1, resumed="best.pt", resumed_position=5, first_position=6)
    check = check_resumed_from_newest(observations([k], [first_session(), s]))
    assert check.verdict == "pass", check


def test_resume_from_an_older_or_corrupt_best_checkpoint_fails():
    best = DiskCheckpoint(file="checkpoints/best.pt", position=3, status="valid", reason="valid", kind="best")
    k = kill([ckpt(2), ckpt(4), best], position=5)
    s = session(1, resumed="best.pt", resumed_position=3, first_position=4)
    assert check_resumed_from_newest(observations([k], [first_session(), s])).verdict == "fail"
    broken = DiskCheckpoint(file="checkpoints/best.pt", position=5, status="corrupt", reason="sha256", kind="best")
    k = kill([ckpt(2), ckpt(4), broken], position=6)
    s = session(1, resumed="best.pt", resumed_position=5, first_position=6)
    assert check_resumed_from_newest(observations([k], [first_session(), s])).verdict == "fail"


def test_a_restart_that_starts_over_fails_resume_and_lost_work():
    k = kill([ckpt(2), ckpt(4), ckpt(6)], position=7)
    s = session(1, fresh=True, first_position=1)
    obs = observations([k], [first_session(), s])
    assert check_resumed_from_newest(obs).verdict == "fail"
    lost = check_lost_work(obs)
    assert lost.verdict == "fail"
    assert any("7 steps" in line for line in lost.evidence), lost.evidence


def test_lost_work_within_interval_plus_one_batch_passes():
    k = kill([ckpt(2), ckpt(4)], position=7)  # 3 redone = interval 2 + one batch
    s = session(1, resumed="step-00000004.pt", resumed_position=4, first_position=5)
    assert check_lost_work(observations([k], [first_session(), s])).verdict == "pass"


def test_loading_an_uncommitted_checkpoint_is_a_corrupt_load():
    k = kill([ckpt(2), ckpt(4, "uncommitted")], position=4)
    s = session(1, resumed="step-00000004.pt", resumed_position=4)
    check = check_no_corrupt_loaded(observations([k], [first_session(), s]))
    assert check.verdict == "fail"
    assert any("step-00000004.pt" in line for line in check.evidence)


def test_a_truncated_file_under_its_final_name_fails_even_when_not_loaded():
    k = kill([ckpt(2), ckpt(4, "corrupt")], position=4)
    s = session(1, resumed="step-00000002.pt", resumed_position=2)
    assert check_no_corrupt_loaded(observations([k], [first_session(), s])).verdict == "fail"


def test_a_restart_that_crashes_fails_run_finished():
    k = kill([ckpt(2)], position=3)
    s = session(1, exit_code=1)
    check = check_run_finished(observations([k], [first_session(), s]))
    assert check.verdict == "fail"
    assert any("exit code 1" in line for line in check.evidence)


# ----------------------------------------------------------------------------- fixtures end to end


def fixture_command(name: str, *extra: str) -> str:
    return f"{{python}} {FIXTURES / name} --run-dir {{run_dir}} " + " ".join(extra)


def drill(tmp_path, command, *options):
    out = tmp_path / "drill.json"
    args = ["drill", "--project", str(REPO), "--command", command, "--checkpoint-pattern", PATTERN,
            "--out", str(out), *options]  # fmt: skip
    result = CliRunner().invoke(main, args)
    return result, (json.loads(out.read_text()) if out.exists() else None)


def verdicts(report) -> dict[str, str]:
    return {check["id"]: check["verdict"] for check in report["checks"]}


def test_good_trainer_passes_every_check(tmp_path):
    result, report = drill(tmp_path, fixture_command("good_trainer.py"), "--kills", "3", "--seed", "1")
    assert result.exit_code == 0, result.output
    assert report["format"] == "audit-drill/1"
    assert len(report["code_version"]) == 40  # the repository's commit
    assert report["verdict"] == "pass"
    assert set(verdicts(report).values()) == {"pass"}, verdicts(report)
    assert len(report["kills"]) == 3
    assert any(k["mode"] == "during-write" for k in report["kills"])
    for restart in report["sessions"][1:]:
        assert restart["resumed_from"]["file"].startswith("epoch_"), restart
    assert "✅" in result.output


def test_trainer_that_starts_over_is_caught(tmp_path):
    # seed 5 lets the first session commit three checkpoints before its kill, so starting
    # over loses more than the interval (one epoch) plus one batch
    result, report = drill(tmp_path, fixture_command("no_resume_trainer.py"), "--kills", "2", "--seed", "5",
                           "--no-compare-final")  # fmt: skip
    assert result.exit_code == 1, result.output
    assert verdicts(report)["resumed_from_newest"] == "fail"
    assert verdicts(report)["lost_work_within_interval"] == "fail"
    assert "❌" in result.output and "resumed_from_newest" in result.output


def test_non_atomic_trainer_is_caught(tmp_path):
    result, report = drill(tmp_path, fixture_command("non_atomic_trainer.py", "--pieces", "6", "--piece-s", "0.01"),
                           "--kills", "4", "--seed", "3", "--no-compare-final")  # fmt: skip
    assert result.exit_code == 1, result.output
    assert verdicts(report)["no_corrupt_checkpoint_loaded"] == "fail", report["checks"]
    corrupt = [c for k in report["kills"] for c in k["on_disk"] if c["status"] == "corrupt"]
    assert corrupt and corrupt[0]["file"].startswith("checkpoints/epoch_")


def test_run_dir_given_writes_drill_json_there(tmp_path):
    run_dir = tmp_path / "run"
    args = ["drill", "--project", str(REPO), "--command", fixture_command("good_trainer.py", "--epochs", "12"),
            "--checkpoint-pattern", PATTERN, "--kills", "1", "--run-dir", str(run_dir), "--no-compare-final"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    report = json.loads((run_dir / "drill.json").read_text())
    assert report["run_dir"] == str(run_dir)
    assert (run_dir / "checkpoints" / "epoch_0012.json").is_file()


@pytest.mark.parametrize(
    ("command", "message"),
    [
        ("{python} -c pass", "{run_dir}"),
        ("{python} train.py --run-dir {run_dir} --lr {learning_rate}", "{learning_rate}"),
        ("definitely-not-a-program-xyz --run-dir {run_dir}", "definitely-not-a-program-xyz"),
        ("{python} 'unterminated --run-dir {run_dir}", "quotation"),
    ],
)
def test_bad_commands_are_usage_errors(tmp_path, command, message):
    result, report = drill(tmp_path, command, "--kills", "1")
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert report is None


def test_an_existing_non_drill_out_file_is_never_overwritten(tmp_path):
    out = tmp_path / "notes.json"
    out.write_text('{"mine": true}')
    args = ["drill", "--project", str(REPO), "--command", fixture_command("good_trainer.py"),
            "--checkpoint-pattern", PATTERN, "--out", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert json.loads(out.read_text()) == {"mine": True}


def test_drill_settings_come_from_audit_yaml(tmp_path):
    (tmp_path / "audit.yaml").write_text(
        "drill:\n"
        f"  command: \"{sys.executable} {FIXTURES / 'good_trainer.py'} --run-dir {{run_dir}} --epochs 12\"\n"
        f"  checkpoint_pattern: {PATTERN}\n"
        "  kills: 1\n"
        "  compare_final: false\n"
    )
    result = CliRunner().invoke(main, ["drill", "--project", str(tmp_path)])
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "artifacts" / "drill" / "latest.json").read_text())
    assert len(report["kills"]) == 1
    assert verdicts(report)["final_weights_equal"] == "skip"


def test_unknown_drill_key_is_a_usage_error_naming_it(tmp_path):
    (tmp_path / "audit.yaml").write_text("drill:\n  kils: 3\n")
    result = CliRunner().invoke(main, ["drill", "--project", str(tmp_path)])
    assert result.exit_code == 2
    assert "kils" in result.output and "audit.yaml" in result.output


# ----------------------------------------------------------------------------- our trainer


@pytest.mark.slow
def test_drill_on_our_trainer_passes_with_equal_final_weights(tmp_path):
    out = tmp_path / "drill.json"
    result = CliRunner().invoke(main, ["drill", "--project", str(REPO), "--kills", "3", "--seed", "0",
                                       "--out", str(out)])  # fmt: skip
    report = json.loads(out.read_text())
    assert result.exit_code == 0, result.output
    assert set(verdicts(report).values()) == {"pass"}, report["checks"]
    final = next(c for c in report["checks"] if c["id"] == "final_weights_equal")
    assert any("tensors equal (element bytes)" in line for line in final["evidence"])
    for k, restart in zip(report["kills"], report["sessions"][1:]):
        if k["newest_valid"] is not None:
            # the newest by position; best.pt and a periodic file saved at one step are equally new
            assert restart["resumed_from"]["position"] == k["newest_valid"]["position"]
            assert restart["resumed_from"]["evidence"] == "events.jsonl"


def test_a_drill_table_does_not_break_the_project_config(tmp_path):
    from auditor.config import load_config

    (tmp_path / "pyproject.toml").write_text(
        "[tool.audit]\nrun_dir = \"runs/x\"\n\n[tool.audit.drill]\ncommand = \"{python} t.py --run-dir {run_dir}\"\n"
        "kills = 2\n"
    )
    assert load_config(tmp_path).run_dir == "runs/x"
    from auditor.drill import load_drill_table

    assert load_drill_table(tmp_path) == {"command": "{python} t.py --run-dir {run_dir}", "kills": 2}


def test_a_non_empty_run_dir_is_refused_and_left_alone(tmp_path):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "keep.txt").write_text("mine")
    args = ["drill", "--project", str(REPO), "--command", fixture_command("good_trainer.py"),
            "--checkpoint-pattern", PATTERN, "--run-dir", str(run_dir)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert "not empty" in result.output
    assert sorted(p.name for p in run_dir.iterdir()) == ["keep.txt"]


def test_a_failing_prepare_command_is_a_usage_error(tmp_path):
    result, report = drill(tmp_path, fixture_command("good_trainer.py"), "--prepare",
                           "{python} -c \"raise SystemExit('no data for you')\"")  # fmt: skip
    assert result.exit_code == 2, result.output
    assert "prepare command failed" in result.output and "no data for you" in result.output
    assert report is None


def test_foreign_checkpoints_are_judged_by_format(tmp_path):
    import re
    import zipfile

    from auditor.drill import judge_file, scan

    ckpts = tmp_path / "ckpt"
    ckpts.mkdir()
    with zipfile.ZipFile(ckpts / "epoch_1.pt", "w") as archive:
        archive.writestr("archive/data.pkl", b"x" * 5000)
    whole = (ckpts / "epoch_1.pt").read_bytes()
    (ckpts / "epoch_2.pt").write_bytes(whole[: len(whole) // 2])  # killed mid-write
    (ckpts / "epoch_3.json").write_text('{"epoch": 3, "weights": [1, 2')
    (ckpts / "epoch_4.pt").write_bytes(b"\x80\x02legacy pickle")
    (ckpts / ".tmp-epoch_5.pt").write_bytes(b"PK")
    facts = scan(tmp_path, ["ckpt/*.pt", "ckpt/*.json"])
    judged = {Path(f.rel).name: judge_file(f, manifests_used=False, epoch_re=re.compile(r"epoch[_-]?(\d+)"))
              for f in facts}  # fmt: skip
    assert {name: c.status for name, c in judged.items()} == {
        "epoch_1.pt": "unverified", "epoch_2.pt": "corrupt", "epoch_3.json": "corrupt", "epoch_4.pt": "unverified",
    }  # fmt: skip
    assert [judged[f"epoch_{i}.pt"].position for i in (1, 2, 4)] == [1, 2, 4]
    assert "format not checkable" in judged["epoch_4.pt"].reason


def test_final_tensors_are_compared_by_their_bytes_ignoring_times(tmp_path):
    torch = pytest.importorskip("torch")
    from auditor.drill import compare_final

    state = {"model": {"w": torch.arange(6.0).reshape(2, 3)}, "rng": torch.tensor([1, 2], dtype=torch.uint8)}
    torch.save({**state, "wall_time": 1.0}, tmp_path / "a.pt")
    torch.save({**state, "wall_time": 2.0}, tmp_path / "b.pt")
    torch.save({**state, "model": {"w": torch.arange(6.0).reshape(2, 3) + 1e-6}}, tmp_path / "c.pt")
    same = compare_final(tmp_path / "a.pt", tmp_path / "b.pt")
    assert same.equal and "all 2 tensors equal" in same.detail
    differ = compare_final(tmp_path / "a.pt", tmp_path / "c.pt")
    assert not differ.equal and "model.w" in differ.detail


def test_the_auditor_cites_a_drill_written_next_to_the_run(tmp_path):
    """The drill result is evidence for run.resumed / run.auto_resumed (auditor.evidence.run reads it)."""
    import auditor.probes  # noqa: F401  (registers the probes)
    from auditor.config import ProjectConfig
    from auditor.evidence import Evidence
    from auditor.model import PROBES, Verdict

    run_dir = tmp_path / "run"
    args = ["drill", "--project", str(REPO), "--command", fixture_command("no_resume_trainer.py", "--epochs", "12"),
            "--checkpoint-pattern", PATTERN, "--kills", "1", "--seed", "5", "--run-dir", str(run_dir),
            "--no-compare-final"]  # fmt: skip
    assert CliRunner().invoke(main, args).exit_code == 1
    (run_dir / "train.log").write_text("2026-01-01 00:00:00 epoch 1 batch 1/4\n")  # the run shows no resume itself
    ev = Evidence(ProjectConfig(root=tmp_path), run_dir)
    for name in ("run.resumed", "run.auto_resumed"):
        result = PROBES[name](ev)
        assert result.verdict == Verdict.NO, (name, result)
        assert result.citations[0].source == "drill.json"


def test_only_checkpoint_writes_count_as_a_write_in_progress(tmp_path):
    """Checkpoints beside progress.json and config.yaml (pattern `*.pt` in the run directory):
    an atomic rewrite of the progress file is not a checkpoint write to aim a kill at."""
    from auditor.drill.disk import Watcher as _Watcher

    run = tmp_path / "run"
    run.mkdir()
    (run / "ckpt_2.pt").write_bytes(b"x")
    watcher = _Watcher(run, ["*.pt"])
    for name in (".tmp-progress.json.k2j3h4", "config.yaml.tmp", ".tmp-PROGRESS.txt.a1"):
        (run / name).write_text("{}")
    assert watcher.poll() == (0, [])
    (run / ".tmp-ckpt_3.pt.x9y8z7").write_bytes(b"partial")
    (run / ".tmp-ckpt_2.json.q1").write_text("{}")  # the manifest of a checkpoint is part of its write
    assert sorted(watcher.poll()[1]) == [".tmp-ckpt_2.json.q1", ".tmp-ckpt_3.pt.x9y8z7"]
