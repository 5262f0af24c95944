"""stable-baselines3 runs: SB3 saves a model (`model.save`, CheckpointCallback's `rl_model_80000_steps.zip`,
EvalCallback's `best_model.zip`) as a zip holding a `data` JSON (num_timesteps, the hyperparameters), the
policy's `policy.pth`, `policy.optimizer.pth`, `pytorch_variables.pth` and `_stable_baselines3_version`.
A `.zip` is as often an archive of anything (`dataset.zip`, `outputs.zip`), so it is a checkpoint only
when its name or folder says so and its members are a model save; it is read by its member names and its
`data` JSON, never unpickled. SB3's logger writes a `progress.csv` row per dump (per PPO iteration):
per-step rows. A log that records each start's argv (`argv: train.py --resume`) is split at each one.
"""

from __future__ import annotations

import io
import json
import os
import time
import zipfile
from pathlib import Path

import pytest

import auditor.probes  # noqa: F401  (registers the probes)
from auditor.ckptnames import is_checkpoint_file
from auditor.config import load_config
from auditor.discovery import discover
from auditor.evidence import Evidence
from auditor.model import PROBES, Verdict
from auditor.resolve import resolve

T0 = 1796330000  # 2026-12-03 UTC


@pytest.mark.parametrize("name, folder, counts", [
    ("rl_model_80000_steps.zip", "checkpoints", True),
    ("best_model.zip", "best", True),
    ("final_model.zip", "run1", True),
    ("ppo_cartpole.zip", "checkpoints", True),
    ("dataset.zip", "", False),
    ("images.zip", "raw", False),
    ("model_inputs.zip", "data", False),  # a data folder's archive is data, whatever its name
])
def test_a_zip_is_a_checkpoint_candidate_when_its_name_or_folder_says_so(name, folder, counts):
    assert is_checkpoint_file(name, folder) is counts


def _sb3(steps: int) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("data", json.dumps({"policy_class": {":type:": "<class 'abc.ABCMeta'>", ":serialized:": "gAWV"},
                                        "num_timesteps": steps, "learning_rate": 0.0003}, indent=4))
        for member in ("pytorch_variables.pth", "policy.pth", "policy.optimizer.pth"):
            zf.writestr(member, b"PK-not-read")
        zf.writestr("_stable_baselines3_version", "2.3.2")
        zf.writestr("system_info.txt", "- OS: Linux\n")
    return buf.getvalue()


def _stamp(s: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(T0 + s)) + ",000"


def _put(path: Path, data: bytes, at: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.utime(path, (T0 + at, T0 + at))


def project(root: Path) -> Path:
    """A PPO run: CheckpointCallback zips every 20 s, killed, restarted with --resume; the log records
    each start's argv and nothing else per step; SB3's progress.csv has a row per iteration."""
    (root / "train.py").write_text("from stable_baselines3 import PPO\nmodel = PPO('MlpPolicy', env)\n"
                                   "model.learn(total_timesteps=400000, callback=callbacks)\n")
    run = root / "runs" / "ppo"
    log = [f"{_stamp(0)} INFO argv: train.py --config c.yaml",
           f"{_stamp(1)} INFO fresh start in runs/ppo",
           f"{_stamp(90)} INFO argv: train.py --config c.yaml --resume",
           f"{_stamp(91)} INFO resumed from runs/ppo/checkpoints/rl_model_160000_steps.zip at num_timesteps=160000",
           f"{_stamp(150)} INFO done at num_timesteps=400000, final model in runs/ppo/final_model.zip"]
    run.mkdir(parents=True)
    (run / "train.log").write_text("\n".join(log) + "\n")
    rows = ["rollout/ep_rew_mean,time/total_timesteps,time/iterations,train/loss,train/value_loss,eval/mean_reward"]
    rows += [f"{200 + i},{160000 + 1024 * i},{i},{50 - i * 0.1:.3f},{100 - i * 0.2:.3f}," for i in range(1, 40)]
    (run / "progress.csv").write_text("\n".join(rows) + "\n")
    for steps, at in ((80000, 30), (160000, 60), (240000, 110), (320000, 130), (400000, 149)):
        _put(run / "checkpoints" / f"rl_model_{steps}_steps.zip", _sb3(steps), at)
    _put(run / "best" / "best_model.zip", _sb3(240000), 112)
    _put(run / "final_model.zip", _sb3(400000), 150)
    return root


def _outputs(root: Path) -> None:
    """A zip of results named like a model: not a save (its members are CSVs)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("predictions.csv", "id,label\n1,0\n")
    _put(root / "exports" / "final_model_outputs.zip", buf.getvalue(), 10)


def probe(name: str, root: Path):
    config = resolve(load_config(root))
    return PROBES[name](Evidence(config, root / config.discovery.run_dirs[0].path))


def test_a_folder_of_sb3_zips_is_the_run_directory(tmp_path):
    found = discover(project(tmp_path))
    assert found.run_dirs[0].path == "runs/ppo"


def test_a_zip_that_is_not_a_model_save_makes_no_run_directory(tmp_path):
    (tmp_path / "train.py").write_text("print('hi')\n")
    _outputs(tmp_path)
    assert discover(tmp_path).run_dirs == ()


def test_sb3_zips_are_read_as_saves_with_their_step_never_unpickled(tmp_path):
    config = resolve(load_config(project(tmp_path)))
    run = Evidence(config, tmp_path / "runs" / "ppo").run
    by_name = {c.file: c for c in run.checkpoints}
    saved = by_name["checkpoints/rl_model_160000_steps.zip"]
    assert saved.status == "readable" and saved.step == 160000 and saved.kind == "periodic"
    assert "stable-baselines3" in saved.note
    assert by_name["final_model.zip"].kind == "final"


def test_a_zip_without_a_model_save_inside_is_unreadable(tmp_path):
    project(tmp_path)
    _put(tmp_path / "runs" / "ppo" / "checkpoints" / "rl_model_400000_steps.zip", b"PK\x03\x04 torn", 149)
    config = resolve(load_config(tmp_path))
    run = Evidence(config, tmp_path / "runs" / "ppo").run
    assert {c.file: c for c in run.checkpoints}["checkpoints/rl_model_400000_steps.zip"].status == "unreadable"


def test_a_second_recorded_argv_starts_a_session(tmp_path):
    config = resolve(load_config(project(tmp_path)))
    run = Evidence(config, tmp_path / "runs" / "ppo").run
    assert [s.command for s in run.log.sessions] == ["train.py --config c.yaml",
                                                     "train.py --config c.yaml --resume"]


@pytest.mark.parametrize("rule, verdict", [
    ("run.periodic_checkpoints", Verdict.YES),
    ("run.checkpoint_gaps", Verdict.PARTIAL),  # saves 20-50 s apart: more often than needed
    ("run.batch_logging", Verdict.YES),  # progress.csv: a row per PPO iteration
    ("run.resumed", Verdict.YES),
    ("run.auto_resumed", Verdict.NO),  # the restart's recorded argv asked for it (--resume)
])
def test_an_sb3_run_is_judged_from_its_zips_and_logs(tmp_path, rule, verdict):
    r = probe(rule, project(tmp_path))
    assert r.verdict == verdict, r.summary


def test_sb3s_progress_csv_is_a_log_not_the_progress_file(tmp_path):
    root = project(tmp_path)
    (root / "runs" / "ppo" / "status.json").write_text('{"state": "finished", "num_timesteps": 400000, '
                                                       '"written_at": "2026-12-03T16:36:00+00:00"}\n')
    config = resolve(load_config(root))
    run = Evidence(config, root / "runs" / "ppo").run
    assert run.progress.file == "status.json" and "progress.csv" not in run.progress.files
