import torch

from wbtrain.ckpt import load_checkpoint, newest_checkpoint, save_checkpoint
from wbtrain.heartbeat import Heartbeat
from wbtrain.model import SyntheticRegression, TinyMLP


def _parts():
    model = TinyMLP()
    return model, torch.optim.AdamW(model.parameters()), SyntheticRegression()


def test_checkpoints_are_step_named(tmp_path):
    model, opt, data = _parts()
    for step in (100, 200, 300):
        save_checkpoint(tmp_path, step, model, opt, data)
    names = sorted(p.name for p in tmp_path.glob("step_*.pt"))
    assert names == ["step_000100.pt", "step_000200.pt", "step_000300.pt"]
    assert newest_checkpoint(tmp_path).name == "step_000300.pt"


def test_newest_checkpoint_empty_dir(tmp_path):
    assert newest_checkpoint(tmp_path) is None


def test_load_returns_step(tmp_path):
    model, opt, data = _parts()
    path = save_checkpoint(tmp_path, 7, model, opt, data)
    assert load_checkpoint(path, *_parts()) == 7


def test_heartbeat_refreshes(tmp_path):
    hb = Heartbeat(tmp_path / "hb", every_s=0.05)
    hb.start()
    import time
    time.sleep(0.3)
    first = float((tmp_path / "hb").read_text())
    time.sleep(0.3)
    hb.stop()
    assert float((tmp_path / "hb").read_text()) > first
