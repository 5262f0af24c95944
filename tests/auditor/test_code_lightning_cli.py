"""PyTorch Lightning driven by `LightningCLI`: the project writes no `Trainer(...)` nor `fit()`;
the CLI builds the Trainer, the model and the data module from YAML files in jsonargparse's
`class_path` / `init_args` form (`trainer.callbacks`) and its `fit` subcommand calls
`Trainer.fit(model, datamodule, ckpt_path=--ckpt_path)`.

The config that counts is the one the documented command passes with `--config`; without one
named, the configuration folder's files are read.
"""

from __future__ import annotations

from auditor.model import Verdict
from tests.auditor.test_code_events import audit, cited

MAIN = """
    from {module} import LightningCLI

    from proj.model import LitModel
    from proj.data import LitData


    def cli_main():
        return LightningCLI(LitModel, LitData)


    if __name__ == "__main__":
        cli_main()
"""

MODEL = """
    import torch
    from torch import nn
    import lightning.pytorch as pl


    class LitModel(pl.LightningModule):
        def __init__(self, hidden: int = 16):
            super().__init__()
            self.net = nn.Linear(hidden, 1)

        def training_step(self, batch, batch_idx):
            x, y = batch
            loss = nn.functional.mse_loss(self.net(x).squeeze(-1), y)
            self.log("train_loss", loss, on_step=True, on_epoch=False)
            return loss

        def configure_optimizers(self):
            return torch.optim.AdamW(self.parameters(), lr=1e-3)
"""

DATA = """
    import lightning.pytorch as pl


    class LitData(pl.LightningDataModule):
        def __init__(self, batch_size: int = 32):
            super().__init__()
            self.batch_size = batch_size
"""

CALLBACKS = """
    import json
    import os
    import threading
    import time
    from pathlib import Path

    from lightning.pytorch.callbacks import Callback


    class RunState(Callback):
        def __init__(self, every_n_steps: int = 50, filename: str = "status.json"):
            self.every_n_steps = every_n_steps
            self.filename = filename
            self.path = None

        def on_fit_start(self, trainer, pl_module):
            self.path = Path(trainer.log_dir) / self.filename

        def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
            if trainer.global_step % self.every_n_steps == 0:
                tmp = self.path.with_suffix(".tmp")
                tmp.write_text(json.dumps({"step": trainer.global_step, "time": time.time()}))
                os.replace(tmp, self.path)


    class Beat(Callback):
        def __init__(self, interval_s: float = 30.0):
            self.interval_s = interval_s
            self._stop = threading.Event()

        def _run(self):
            while not self._stop.wait(self.interval_s):
                Path("beat").write_text(str(time.time()))

        def on_fit_start(self, trainer, pl_module):
            self._thread = threading.Thread(target=self._run, daemon=True)  # never started

        def on_fit_end(self, trainer, pl_module):
            self._stop.set()
"""

CONFIG = """\
seed_everything: 0
trainer:
  max_epochs: 10
  log_every_n_steps: 10
  callbacks:
    - class_path: {checkpoint}
      init_args:
        {trigger}
        save_top_k: -1
        save_last: true
{more}model:
  hidden: 16
data:
  batch_size: 32
{tail}"""

OURS = """\
    - class_path: proj.callbacks.RunState
      init_args:
        every_n_steps: 50
    - class_path: proj.callbacks.Beat
      init_args:
        interval_s: 30
"""


def _config(trigger: str, checkpoint: str = "lightning.pytorch.callbacks.ModelCheckpoint", more: str = "",
            tail: str = "") -> str:
    return CONFIG.format(checkpoint=checkpoint, trigger=trigger, more=more, tail=tail)


def _project(readme: str = "    python main.py fit --config configs/fit.yaml\n",
             module: str = "lightning.pytorch.cli", fit: str = "", debug: str = "") -> dict[str, str]:
    return {
        "README.md": "# proj\n\nTrain:\n\n" + readme,
        "main.py": MAIN.format(module=module),
        "proj/__init__.py": "",
        "proj/model.py": MODEL,
        "proj/data.py": DATA,
        "proj/callbacks.py": CALLBACKS,
        "configs/fit.yaml": fit or _config('train_time_interval: "0:02:00"', more=OURS),
        "configs/debug.yaml": debug or _config("every_n_train_steps: 20"),
    }


def test_a_checkpoint_callback_in_the_documented_cli_config_saves_periodically_at_its_interval(tmp_path):
    got = audit(tmp_path, _project())
    assert got["save"].verdict == Verdict.YES and "configs/fit.yaml:8" in cited(got["save"]), got["save"].summary
    assert got["interval"].verdict == Verdict.YES and got["interval"].measured["interval_s"] == 120, \
        got["interval"].summary


def test_the_config_the_documented_command_passes_decides_the_interval(tmp_path):
    readme = "    python main.py fit --config configs/debug.yaml\n"
    got = audit(tmp_path, _project(readme=readme, module="pytorch_lightning.cli"))
    assert got["save"].verdict == Verdict.YES and "configs/debug.yaml:8" in cited(got["save"]), got["save"].summary
    assert got["interval"].verdict == Verdict.PARTIAL and "20" in got["interval"].summary, got["interval"].summary


def test_without_a_documented_config_the_config_folder_is_read(tmp_path):
    files = _project(readme="    python main.py fit\n", debug=_config("every_n_epochs: 1"))
    got = audit(tmp_path, files)
    assert got["save"].verdict == Verdict.YES, got["save"].summary


def test_a_cli_config_without_a_checkpoint_trigger_saves_every_epoch(tmp_path):
    cfg = _config("filename: '{epoch}'", checkpoint="ModelCheckpoint")
    got = audit(tmp_path, _project(fit=cfg))
    assert got["save"].verdict == Verdict.YES, got["save"].summary
    assert got["interval"].verdict == Verdict.PARTIAL and "epoch" in got["interval"].summary, got["interval"].summary


def test_a_class_path_of_ones_own_is_not_lightnings_checkpoint(tmp_path):
    cfg = _config('train_time_interval: "0:02:00"', checkpoint="proj.callbacks.ModelCheckpoint")
    got = audit(tmp_path, _project(fit=cfg))
    assert got["save"].verdict == Verdict.NO, got["save"].summary


def test_self_log_on_step_in_training_step_is_batch_monitoring_under_the_cli(tmp_path):
    got = audit(tmp_path, _project())
    assert got["log"].verdict == Verdict.YES and "proj/model.py:15" in cited(got["log"]), got["log"].summary


def test_a_project_callback_named_in_the_cli_config_writes_the_progress_file_from_the_batch_loop(tmp_path):
    got = audit(tmp_path, _project())
    assert got["progress"].verdict == Verdict.YES and "proj/callbacks.py" in str(cited(got["progress"])), \
        got["progress"].summary
    assert got["heartbeat"].verdict == Verdict.NO, got["heartbeat"].summary  # its thread is never started


def test_a_project_callback_the_config_does_not_name_writes_nothing(tmp_path):
    got = audit(tmp_path, _project(fit=_config('train_time_interval: "0:02:00"')))
    assert got["progress"].verdict == Verdict.NO, got["progress"].summary


def test_the_cli_fit_subcommand_resumes_from_the_ckpt_path_the_user_gives(tmp_path):
    got = audit(tmp_path, _project())
    assert got["resume"].verdict == Verdict.YES and "main.py:9" in cited(got["resume"]), got["resume"].summary
    assert got["auto"].verdict == Verdict.NO, got["auto"].summary


def test_ckpt_path_last_in_the_cli_config_is_auto_resume(tmp_path):
    fit = _config('train_time_interval: "0:02:00"', tail="ckpt_path: last\n")
    got = audit(tmp_path, _project(fit=fit))
    assert got["auto"].verdict == Verdict.YES, got["auto"].summary


def test_a_cli_built_with_run_false_trains_where_the_project_calls_its_trainer_fit(tmp_path):
    main = MAIN.format(module="lightning.pytorch.cli").replace(
        "return LightningCLI(LitModel, LitData)",
        "cli = LightningCLI(LitModel, LitData, run=False)\n    cli.trainer.fit(cli.model, datamodule=cli.datamodule)")
    got = audit(tmp_path, {**_project(), "main.py": main})
    assert got["save"].verdict == Verdict.YES and "configs/fit.yaml:8" in cited(got["save"]), got["save"].summary
    assert got["log"].verdict == Verdict.YES, got["log"].summary


def test_a_project_subclass_of_lightning_cli_is_the_cli(tmp_path):
    main = MAIN.format(module="lightning.pytorch.cli").replace(
        "def cli_main():", "class MyCLI(LightningCLI):\n        pass\n\n\n    def cli_main():").replace(
        "return LightningCLI(", "return MyCLI(")
    got = audit(tmp_path, {**_project(), "main.py": main})
    assert got["save"].verdict == Verdict.YES, got["save"].summary
    assert got["resume"].verdict == Verdict.YES, got["resume"].summary
