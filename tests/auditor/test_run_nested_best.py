"""A folder of the run's best or final save only, inside the run folder (SB3's EvalCallback
`best_model_save_path=<run>/best`, Accelerate's `<run>/final/model.safetensors`), is part of that run,
not a run of its own."""

from __future__ import annotations

from pathlib import Path

from auditor.discovery import discover


def _touch(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"PK\x03\x04")


def test_a_best_model_folder_inside_a_run_is_that_runs(tmp_path):
    (tmp_path / "train.py").write_text("print('train')\n")
    for step in (100, 200):
        _touch(tmp_path / "runs" / "x" / "checkpoints" / f"ckpt_{step}.pt")
    _touch(tmp_path / "runs" / "x" / "best" / "best_model.pt")
    _touch(tmp_path / "runs" / "x" / "final" / "model.pt")
    runs = discover(tmp_path).run_dirs
    assert [r.path for r in runs] == ["runs/x"] and runs[0].checkpoints == 4


def test_a_nested_folder_of_periodic_saves_stays_a_run_of_its_own(tmp_path):
    (tmp_path / "train.py").write_text("print('train')\n")
    _touch(tmp_path / "runs" / "x" / "ckpt_100.pt")
    for step in (100, 200):
        _touch(tmp_path / "runs" / "x" / "sweep1" / f"ckpt_{step}.pt")
    assert sorted(r.path for r in discover(tmp_path).run_dirs) == ["runs/x", "runs/x/sweep1"]
