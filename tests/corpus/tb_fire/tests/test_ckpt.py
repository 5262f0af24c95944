"""The checkpoint and heartbeat helpers on their own."""

import torch

from tinyreg import ckpt
from tinyreg.model import TinyReg
from tinyreg.monitor import Heartbeat


def test_latest_pointer_roundtrip(tmp_path):
    assert ckpt.read_latest(tmp_path) is None
    ckpt.write_latest(tmp_path, "step_000120")
    assert ckpt.read_latest(tmp_path) == tmp_path / "step_000120"
    ckpt.write_latest(tmp_path, "step_000240")
    assert ckpt.read_latest(tmp_path) == tmp_path / "step_000240"
    assert not (tmp_path / "latest.tmp").exists()


def test_saved_state_loads_back(tmp_path):
    torch.manual_seed(0)
    model = TinyReg(hidden=16)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    model(torch.randn(4, 8)).sum().backward()
    opt.step()
    folder = ckpt.save_checkpoint(tmp_path, 240, model, opt, {"loss": 0.5})

    fresh = TinyReg(hidden=16)
    fresh_opt = torch.optim.AdamW(fresh.parameters(), lr=1e-3)
    state = ckpt.load_checkpoint(folder, fresh, fresh_opt)

    assert state["global_step"] == 240
    assert ckpt.read_latest(tmp_path) == folder
    for a, b in zip(model.parameters(), fresh.parameters()):
        assert torch.equal(a, b)
    assert fresh_opt.state_dict()["state"][0]["step"] == 1


def test_heartbeat_beat_appends_a_line(tmp_path):
    hb = Heartbeat(tmp_path / "heartbeat.log", period=0.1)
    hb.beat(3)
    hb.beat(4)
    lines = (tmp_path / "heartbeat.log").read_text().splitlines()
    assert [line.split()[-1] for line in lines] == ["step=3", "step=4"]
    assert float(lines[1].split()[0]) >= float(lines[0].split()[0])
