"""PyTorch Lightning and Hugging Face Trainer idioms as code and run evidence.

The fixture projects (tests/fixtures/lightning_project, tests/fixtures/hf_project) are
parsed, never run; their run directories are written here: Lightning `.ckpt` files with
torch.save of plain dicts, Hugging Face `checkpoint-N/` folders with a trainer_state.json.
"""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

from auditor.cli import main
from auditor.config import ProjectConfig, load_config
from auditor.evidence import code as code_ev
from auditor.evidence import run as run_ev

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
LIGHTNING = FIXTURES / "lightning_project"
HF = FIXTURES / "hf_project"
T0 = 1_780_000_000.0  # a fixed wall time for the fixture files


def _line(project: Path, text: str, file: str = "train.py") -> int:
    """The 1-based line of the first occurrence of `text` in the fixture source."""
    lines = (project / file).read_text().splitlines()
    return next(i for i, line in enumerate(lines, 1) if text in line)


def _code(project: Path) -> code_ev.CodeEvidence:
    return code_ev.collect(load_config(project))


def _touch(path: Path, t: float) -> None:
    os.utime(path, (t, t))


def _lightning_run(run: Path) -> Path:
    run.mkdir()
    for i, (epoch, step) in enumerate([(0, 100), (1, 200), (2, 300)]):
        state = {"epoch": epoch, "state_dict": {"w": torch.zeros(2)}}
        if epoch != 1:  # epoch=1-step=200.ckpt has no global_step: its step comes from the name
            state["global_step"] = step
        path = run / f"epoch={epoch}-step={step}.ckpt"
        torch.save(state, path)
        _touch(path, T0 + 120 * i)
    torch.save({"epoch": 2, "global_step": 300, "state_dict": {"w": torch.zeros(2)}}, run / "last.ckpt")
    _touch(run / "last.ckpt", T0 + 240)
    return run


def _hf_run(run: Path) -> Path:
    run.mkdir()
    for i, step in enumerate((500, 1000)):
        folder = run / f"checkpoint-{step}"
        folder.mkdir()
        state = {"global_step": step, "epoch": step / 500,
                 "log_history": [{"loss": 1.0 / (s + 1), "step": s, "epoch": s / 500} for s in range(10, step + 1, 10)]}
        (folder / "trainer_state.json").write_text(json.dumps(state))
        # never unpickled: bytes that are no pickle at all
        (folder / "optimizer.pt").write_bytes(b"not a pickle")
        (folder / "model.safetensors").write_bytes(b"\0" * 64)
        for j, name in enumerate(("model.safetensors", "optimizer.pt", "trainer_state.json")):
            _touch(folder / name, T0 + 180 * i + j)
    return run


def _check(project: Path, run: Path) -> dict[str, dict]:
    res = CliRunner().invoke(main, ["check", "--project", str(project), "--run", str(run), "--format", "json"])
    assert res.exit_code in (0, 1), res.output
    return {r["id"]: r["cells"] for r in json.loads(res.output)["rules"]}


# --------------------------------------------------------------------------- Lightning code


def test_lightning_model_checkpoint_time_interval():
    ev = _code(LIGHTNING)
    [interval] = ev.intervals
    assert (interval.name, interval.value, interval.unit, interval.seconds) == ("train_time_interval", 120.0,
                                                                               "time", 120.0)
    assert (interval.file, interval.line) == ("train.py", _line(LIGHTNING, "train_time_interval="))
    assert interval.where == "ModelCheckpoint" and interval.default == "timedelta(minutes=2)"


def test_lightning_trainer_callback_is_the_save_mechanism():
    ev = _code(LIGHTNING)
    saves = [lc for lc in ev.loop_calls if lc.effect(code_ev.SAVE)]
    [lc] = saves
    assert (lc.call.short, lc.call.line) == ("fit", _line(LIGHTNING, "trainer.fit("))
    site = lc.effect(code_ev.SAVE).site
    assert (site.short, site.line) == ("ModelCheckpoint", _line(LIGHTNING, "ModelCheckpoint(dirpath"))


def test_lightning_fit_ckpt_path_last_is_resume_and_auto_resume():
    ev = _code(LIGHTNING)
    [load] = [r for r in ev.resume_loads if r.call.short == "fit"]
    assert load.from_resume and load.from_discovery and load.reachable
    assert load.call.line == _line(LIGHTNING, "trainer.fit(")
    assert [c.line for c in ev.resume_passed] == [load.call.line]
    assert [e.site.line for e in ev.auto_resume] == [load.call.line]


@pytest.mark.parametrize("source, name, value, unit", [
    ("import pytorch_lightning as pl\ncb = pl.callbacks.ModelCheckpoint(every_n_train_steps=1000)\n",
     "every_n_train_steps", 1000.0, "steps"),
    ("from pytorch_lightning.callbacks import ModelCheckpoint as MC\ncb = MC(every_n_epochs=2)\n",
     "every_n_epochs", 2.0, "epochs"),
    ("import lightning as L\nimport datetime\n"
     "cb = L.pytorch.callbacks.ModelCheckpoint(train_time_interval=datetime.timedelta(hours=1, seconds=30))\n",
     "train_time_interval", 3630.0, "time"),
    ("from lightning.pytorch.callbacks import ModelCheckpoint\ncb = ModelCheckpoint(save_last=True)\n",
     "every_n_epochs", 1.0, "epochs"),  # Lightning's default: at every epoch end
])
def test_lightning_aliases_and_units(tmp_path, source, name, value, unit):
    (tmp_path / "train.py").write_text(source)
    ev = code_ev.collect(ProjectConfig(root=tmp_path, source=("train.py",), entry_point="train.py:main",
                                       main_module="train.py"))
    [interval] = ev.intervals
    assert (interval.name, interval.value, interval.unit) == (name, value, unit)
    assert interval.seconds == (value if unit == "time" else None)
    assert interval.line == 2 + ("datetime" in source)


def test_names_that_are_not_the_frameworks_are_not_recognised(tmp_path):
    (tmp_path / "train.py").write_text(textwrap.dedent("""\
        from mylib import ModelCheckpoint, TrainingArguments
        cb = ModelCheckpoint(every_n_train_steps=10)
        args = TrainingArguments(save_steps=10)
        """))
    ev = code_ev.collect(ProjectConfig(root=tmp_path, source=("train.py",), entry_point="train.py:main",
                                       main_module="train.py"))
    assert ev.intervals == ()


# --------------------------------------------------------------------------- Hugging Face code


def test_hf_training_arguments_save_steps():
    ev = _code(HF)
    [interval] = ev.intervals
    assert (interval.name, interval.value, interval.unit, interval.seconds) == ("save_steps", 500.0, "steps", None)
    assert (interval.file, interval.line, interval.where) == ("train.py", _line(HF, "save_steps="),
                                                              "TrainingArguments")


def test_hf_train_resume_from_checkpoint_and_logging_steps():
    ev = _code(HF)
    [load] = [r for r in ev.resume_loads if r.call.short == "train"]
    assert load.from_resume and load.reachable and load.call.line == _line(HF, "trainer.train(")
    assert [c.line for c in ev.resume_passed] == [load.call.line]
    [log] = [lc for lc in ev.loop_calls if lc.effect(code_ev.LOG)]
    assert log.batch_loop and log.call.line == _line(HF, "trainer.train(")
    assert log.effect(code_ev.LOG).site.line == _line(HF, "return TrainingArguments(")
    [save] = [lc for lc in ev.loop_calls if lc.effect(code_ev.SAVE)]
    assert save.effect(code_ev.SAVE).site.short == "TrainingArguments"


def test_hf_epoch_strategy(tmp_path):
    (tmp_path / "train.py").write_text(
        "import transformers\nargs = transformers.TrainingArguments('out', save_strategy='epoch')\n")
    ev = code_ev.collect(ProjectConfig(root=tmp_path, source=("train.py",), entry_point="train.py:main",
                                       main_module="train.py"))
    [interval] = ev.intervals
    assert (interval.name, interval.value, interval.unit, interval.line) == ("save_strategy", 1.0, "epochs", 2)


# --------------------------------------------------------------------------- negatives


def test_no_checkpoint_callback_keeps_no_evidence(tmp_path):
    (tmp_path / "train.py").write_text(textwrap.dedent("""\
        import lightning.pytorch as pl
        from transformers import TrainingArguments

        def main(model):
            trainer = pl.Trainer(max_epochs=3)
            trainer.fit(model, ckpt_path=None)
            args = TrainingArguments("out", save_strategy="no")
            off = pl.callbacks.ModelCheckpoint(every_n_epochs=0)  # 0 turns periodic saving off
        """))
    (tmp_path / "audit.yaml").write_text("source: [train.py]\nentry_point: train.py:main\nmain_module: train.py\n")
    ev = _code(tmp_path)
    assert ev.intervals == () and ev.resume_loads == () and ev.auto_resume == ()
    assert not [lc for lc in ev.loop_calls if lc.effect(code_ev.SAVE)]
    res = CliRunner().invoke(main, ["check", "--project", str(tmp_path), "--format", "json"])
    cells = {r["id"]: r["cells"] for r in json.loads(res.output)["rules"]}
    assert cells["checkpoint-interval"]["code"]["verdict"] == "no"
    assert cells["resume"]["code"]["verdict"] == "no"
    assert cells["periodic-checkpoints"]["code"]["verdict"] == "no"


@pytest.mark.parametrize("resume", [
    "resume_from_checkpoint=get_last_checkpoint(output_dir)",
    "resume_from_checkpoint=last",
])
def test_hf_resume_from_get_last_checkpoint_is_auto_resume(tmp_path, resume):
    """get_last_checkpoint returns None on a first start, so the same command starts fresh or resumes."""
    (tmp_path / "train.py").write_text(textwrap.dedent(f"""\
        import os
        from transformers import Trainer, TrainingArguments
        from transformers.trainer_utils import get_last_checkpoint

        def main(model, output_dir):
            args = TrainingArguments(output_dir, save_strategy="steps", save_steps=200)
            last = get_last_checkpoint(output_dir) if os.path.isdir(output_dir) else None
            trainer = Trainer(model=model, args=args)
            trainer.train({resume})
        """))
    (tmp_path / "audit.yaml").write_text("source: [train.py]\nentry_point: train.py:main\nmain_module: train.py\n")
    ev = _code(tmp_path)
    [load] = ev.resume_loads
    assert load.from_discovery and load.call.line == 9
    assert [e.site.line for e in ev.auto_resume] == [9]
    res = CliRunner().invoke(main, ["check", "--project", str(tmp_path), "--format", "json"])
    cells = {r["id"]: r["cells"] for r in json.loads(res.output)["rules"]}
    assert cells["auto-resume"]["code"]["verdict"] == "yes", cells["auto-resume"]["code"]


# --------------------------------------------------------------------------- run evidence


def test_lightning_ckpt_files_found_by_default(tmp_path):
    run = _lightning_run(tmp_path / "run")
    ev = run_ev.collect(load_config(LIGHTNING), run)
    got = {c.file: (c.kind, c.status, c.epoch, c.step, c.time) for c in ev.checkpoints}
    assert got == {
        "epoch=0-step=100.ckpt": ("periodic", "readable", 0, 100, T0),
        "epoch=1-step=200.ckpt": ("periodic", "readable", 1, 200, T0 + 120),
        "epoch=2-step=300.ckpt": ("periodic", "readable", 2, 300, T0 + 240),
        "last.ckpt": ("final", "readable", 2, 300, T0 + 240),
    }
    assert ev.layout == "foreign" and ev.gaps.largest_s == 120


def test_hf_checkpoint_directories(tmp_path):
    run = _hf_run(tmp_path / "out")
    ev = run_ev.collect(load_config(HF), run)
    got = {c.file: (c.kind, c.status, c.epoch, c.step, c.time) for c in ev.checkpoints}
    assert got == {"checkpoint-500": ("periodic", "readable", 1, 500, T0 + 2),
                   "checkpoint-1000": ("periodic", "readable", 2, 1000, T0 + 182)}
    assert ev.gaps.largest_s == 180
    assert ev.batch_log.file == "checkpoint-1000/trainer_state.json" and ev.batch_log.lines == 100


def test_hf_checkpoint_without_trainer_state_is_incomplete(tmp_path):
    run = _hf_run(tmp_path / "out")
    (run / "checkpoint-1000" / "trainer_state.json").unlink()
    (run / "checkpoint-1500").mkdir()
    (run / "checkpoint-1500" / "trainer_state.json").write_text("{not json")
    ev = run_ev.collect(load_config(HF), run)
    got = {c.file: (c.status, c.step) for c in ev.checkpoints}
    assert got == {"checkpoint-500": ("readable", 500), "checkpoint-1000": ("incomplete", 1000),
                   "checkpoint-1500": ("unreadable", 1500)}
    assert any("checkpoint-1500/trainer_state.json" in e for e in ev.errors)


# --------------------------------------------------------------------------- end to end


def test_lightning_end_to_end_rows_cite_the_framework_calls(tmp_path):
    cells = _check(LIGHTNING, _lightning_run(tmp_path / "run"))
    interval = cells["checkpoint-interval"]
    assert interval["code"]["verdict"] == "yes"
    assert interval["code"]["citations"][0]["source"] == "train.py"
    assert interval["code"]["citations"][0]["line"] == _line(LIGHTNING, "train_time_interval=")
    assert interval["working"]["verdict"] not in ("no evidence", "error")
    resume = cells["resume"]["code"]
    assert resume["verdict"] == "yes"
    assert resume["citations"][0]["line"] == _line(LIGHTNING, "trainer.fit(")
    assert cells["auto-resume"]["code"]["verdict"] == "yes"
    assert cells["periodic-checkpoints"]["code"]["verdict"] == "yes"
    assert cells["periodic-checkpoints"]["working"]["verdict"] == "yes"
    # self.log in training_step logs at every step (Lightning's default there: on_step=True)
    batch = cells["batch-monitoring"]["code"]
    assert batch["verdict"] == "yes", batch
    assert any(c["line"] == _line(LIGHTNING, 'self.log("loss"') for c in batch["citations"]), batch["citations"]


@pytest.mark.parametrize("call, logs_steps", [
    ('self.log("loss", loss)', True),
    ('self.log_dict({"loss": loss}, prog_bar=True)', True),
    ('self.log("loss", loss, on_step=False, on_epoch=True)', False),
])
def test_lightning_training_step_logging_is_batch_monitoring_unless_per_epoch(tmp_path, call, logs_steps):
    (tmp_path / "train.py").write_text(textwrap.dedent(f"""\
        import lightning.pytorch as pl

        class Model(pl.LightningModule):
            def training_step(self, batch, batch_idx):
                loss = batch.sum()
                {call}
                return loss

            def validation_step(self, batch, batch_idx):
                self.log("val_loss", batch.sum())

        def main(loader):
            pl.Trainer(max_epochs=1).fit(Model(), loader)
        """))
    (tmp_path / "audit.yaml").write_text("source: [train.py]\nentry_point: train.py:main\nmain_module: train.py\n")
    logs = [(e.site.line, lc.batch_loop) for lc in _code(tmp_path).loop_calls for e in lc.effects
            if e.tag == code_ev.LOG]
    # on_step=False logs once an epoch: a log call of the epoch loop, not the per-batch loop (In Code? partial)
    assert logs == [(6, logs_steps)], logs


def test_hf_end_to_end_rows_cite_the_framework_calls(tmp_path):
    cells = _check(HF, _hf_run(tmp_path / "out"))
    interval = cells["checkpoint-interval"]
    assert interval["code"]["verdict"] == "partial"  # 500 steps: not a wall-clock period
    assert (interval["code"]["citations"][0]["source"], interval["code"]["citations"][0]["line"]) == (
        "train.py", _line(HF, "save_steps="))
    assert interval["working"]["verdict"] not in ("no evidence", "error")
    resume = cells["resume"]["code"]
    assert resume["verdict"] == "yes" and resume["citations"][0]["line"] == _line(HF, "trainer.train(")
    assert cells["batch-monitoring"]["code"]["verdict"] == "yes"
    assert cells["batch-monitoring"]["working"]["verdict"] == "yes"
    # resume_from_checkpoint=True finds the newest checkpoint but raises on a first start: partial, saying why
    auto = cells["auto-resume"]["code"]
    assert auto["verdict"] == "partial"
    assert "first start" in auto["summary"] and "get_last_checkpoint" in auto["summary"], auto["summary"]
    assert auto["citations"][0]["line"] == _line(HF, "trainer.train(")
