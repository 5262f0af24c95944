import torch

from ckpt import load_checkpoint, newest_checkpoint, read_run_state, save_checkpoint, write_run_state
from model import SensorMLP


def _one_step(model, opt):
    loss = model(torch.randn(8, 16)).pow(2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()


def test_resume_restores_step_and_optimizer(tmp_path):
    model = SensorMLP()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    _one_step(model, opt)
    save_checkpoint(tmp_path, 37, 2, model, opt, run_id="abc123")

    model2 = SensorMLP()
    opt2 = torch.optim.AdamW(model2.parameters(), lr=1e-3)
    step, epoch = load_checkpoint(newest_checkpoint(tmp_path), model2, opt2)

    assert (step, epoch) == (37, 2)
    for a, b in zip(model.parameters(), model2.parameters()):
        assert torch.equal(a, b)
    assert opt2.state_dict()["state"][0]["step"] == 1


def test_newest_checkpoint_picks_highest_step(tmp_path):
    for name in ("step_000009.pt", "step_000120.pt", "step_000030.pt", "notes.txt"):
        (tmp_path / name).write_bytes(b"")
    assert newest_checkpoint(tmp_path).name == "step_000120.pt"
    assert newest_checkpoint(tmp_path / "missing") is None


def test_run_state_roundtrip(tmp_path):
    assert read_run_state(tmp_path) is None
    write_run_state(tmp_path, "r1", "42")
    state = read_run_state(tmp_path)
    assert state["run_id"] == "r1" and state["experiment_id"] == "42"
