import json
from pathlib import Path

from trainer.loop import train


def step_folders(run_dir):
    return sorted(p.name for p in (Path(run_dir) / "checkpoints").glob("step_*") if (p / ".metadata").exists())


def test_checkpoint_folder_every_n_steps(tiny_cfg):
    cfg = tiny_cfg()
    assert train(cfg) == 30
    assert step_folders(cfg.run_dir) == ["step_000010", "step_000020", "step_000030"]


def test_log_line_every_n_steps(tiny_cfg, caplog):
    train(tiny_cfg(total_steps=20))
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("step ")]
    assert [m.split()[1] for m in lines] == ["5/20", "10/20", "15/20", "20/20"]
    assert all(" loss " in m for m in lines)


def test_progress_json_tracks_the_run(tiny_cfg):
    cfg = tiny_cfg(total_steps=20)
    train(cfg)
    progress = json.loads((Path(cfg.run_dir) / "progress.json").read_text())
    assert progress["step"] == 20 and progress["done"] is True
    assert "updated_utc" in progress


def test_second_session_continues_where_the_slot_ended(tiny_cfg, caplog):
    cfg = tiny_cfg(total_steps=200, ckpt_every_steps=50, session_minutes=0.02, io_wait_s=0.02)
    stopped_at = train(cfg)
    assert 0 < stopped_at < 200
    assert step_folders(cfg.run_dir)[-1] == f"step_{stopped_at:06d}"

    caplog.clear()
    second = tiny_cfg(total_steps=200, ckpt_every_steps=50)   # same run folder, no resume option
    assert train(second) == 200
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.endswith(f"step_{stopped_at:06d} (step {stopped_at})") for m in messages)
    first_logged = next(int(m.split()[1].split("/")[0]) for m in messages if m.startswith("step "))
    assert stopped_at < first_logged <= stopped_at + 5
