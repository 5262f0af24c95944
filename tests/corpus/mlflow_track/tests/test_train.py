import json
from pathlib import Path

import train


def _run_id():
    return json.loads(Path("checkpoints/run_state.json").read_text())["run_id"]


def test_timer_checkpoints_written_and_logged(workdir):
    train.main(["--max-steps", "240", "--rows", "1600", "--ckpt-minutes", "0.01",
                "--io-delay-ms", "10"])
    files = sorted(Path("checkpoints").glob("step_*.pt"))
    steps = [int(f.stem.split("_")[1]) for f in files]
    assert steps[-1] == 240
    assert len([s for s in steps if s < 240]) >= 2, steps
    artifacts = list(Path("mlruns").glob(f"*/{_run_id()}/artifacts/checkpoints/step_*.pt"))
    assert sorted(a.name for a in artifacts) == [f.name for f in files]


def test_train_loss_logged_every_step(workdir):
    train.main(["--max-steps", "60", "--rows", "640"])
    metric = next(Path("mlruns").glob(f"*/{_run_id()}/metrics/train_loss"))
    rows = [line.split() for line in metric.read_text().splitlines()]
    assert [int(r[2]) for r in rows] == list(range(1, 61))
    assert all(float(r[1]) > 0 for r in rows)


def test_rerun_reuses_mlflow_run(workdir):
    train.main(["--max-steps", "20", "--rows", "640"])
    first = _run_id()
    train.main(["--max-steps", "40", "--rows", "640"])
    assert _run_id() == first
    meta = next(Path("mlruns").glob(f"*/{first}/meta.yaml")).read_text()
    assert "status: 3" in meta  # FINISHED


def test_fresh_starts_a_new_run(workdir):
    train.main(["--max-steps", "10", "--rows", "640"])
    first = _run_id()
    train.main(["--max-steps", "10", "--rows", "640", "--fresh"])
    assert _run_id() != first
