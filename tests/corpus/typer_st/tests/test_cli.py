import json

from typer.testing import CliRunner

from pulsefit.cli import app
from pulsefit.status import write_status

runner = CliRunner()


def test_train_writes_step_checkpoints(make_config):
    config, run_dir = make_config(max_steps=12, interval=5)
    result = runner.invoke(app, ["train", str(config)])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (run_dir / "checkpoints").iterdir())
    assert names == ["step_000005", "step_000010", "step_000012"]
    for name in names:
        folder = run_dir / "checkpoints" / name
        meta = json.loads((folder / "meta.json").read_text())
        assert meta["step"] == int(name.split("_")[1])
        assert (folder / "model.safetensors").stat().st_size > 0
        assert (folder / meta["optimizer"]).exists()


def test_resume_picks_up_newest_checkpoint(make_config):
    config, run_dir = make_config(max_steps=10, interval=5)
    assert runner.invoke(app, ["train", str(config)]).exit_code == 0
    first = (run_dir / "checkpoints" / "step_000005" / "meta.json").stat().st_mtime_ns

    result = runner.invoke(app, ["resume", str(config), "--max-steps", "18"])
    assert result.exit_code == 0, result.output
    assert "resuming from" in result.output
    # steps 1-10 were not trained again: the step-5 checkpoint is the first run's
    assert (run_dir / "checkpoints" / "step_000005" / "meta.json").stat().st_mtime_ns == first
    last = json.loads((run_dir / "checkpoints" / "step_000018" / "meta.json").read_text())
    assert last["step"] == 18
    # the resumed run saved on its own interval again, counting from the restored step
    assert (run_dir / "checkpoints" / "step_000015").is_dir()


def test_resume_without_checkpoint_fails(make_config):
    config, _ = make_config()
    result = runner.invoke(app, ["resume", str(config)])
    assert result.exit_code == 1
    assert "no checkpoint" in result.output


def test_status_prints_epoch_and_step(make_config):
    config, run_dir = make_config()
    run_dir.mkdir(parents=True)
    write_status(run_dir / "status.json", state="running", name="tiny", epoch=3, step=64, loss=0.5)
    result = runner.invoke(app, ["status", str(config)])
    assert result.exit_code == 0, result.output
    assert "running" in result.output
    assert "64" in result.output
