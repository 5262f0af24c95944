import torch

from trainer import checkpointing
from trainer.model import PatchMLP


def make_state(step=0):
    model = PatchMLP(32, 8, hidden=8)
    return checkpointing.TrainState(model, torch.optim.AdamW(model.parameters()), step)


def test_incomplete_folders_are_skipped(tmp_path):
    (tmp_path / "checkpoints" / "step_000300").mkdir(parents=True)
    done = tmp_path / "checkpoints" / "step_000200"
    done.mkdir()
    (done / ".metadata").write_bytes(b"")
    assert checkpointing.complete_checkpoints(tmp_path) == [done]


def test_save_then_restore_roundtrip(tmp_path):
    state = make_state(step=42)
    state.model(torch.randn(4, 3, 32)).sum().backward()
    state.optimizer.step()
    checkpointing.save(state, tmp_path)

    fresh = make_state()
    assert checkpointing.restore_latest(fresh, tmp_path).name == "step_000042"
    assert fresh.step == 42
    for a, b in zip(state.model.parameters(), fresh.model.parameters()):
        assert torch.equal(a, b)
    assert fresh.optimizer.state_dict()["state"][0]["step"] == 1


def test_restore_without_checkpoints_returns_none(tmp_path):
    assert checkpointing.restore_latest(make_state(), tmp_path) is None
