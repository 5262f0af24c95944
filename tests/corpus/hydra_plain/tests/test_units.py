import torch
from omegaconf import OmegaConf

from mini.data import SyntheticStream
from mini.model import build_model, build_optimizer
from mini.utils import load_checkpoint, save_checkpoint


def test_model_output_shape():
    cfg = OmegaConf.create({"name": "mlp", "hidden": 8, "depth": 2, "dropout": 0.0})
    model = build_model(cfg, in_dim=16)
    x, _ = SyntheticStream(16, batch_size=5).sample()
    assert model(x).shape == (5,)


def test_stream_is_deterministic():
    a = SyntheticStream(4, batch_size=3, seed=7).sample()
    b = SyntheticStream(4, batch_size=3, seed=7).sample()
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])


def test_save_prunes_and_roundtrips(tmp_path):
    cfg = OmegaConf.create({"name": "mlp", "hidden": 4, "depth": 1, "dropout": 0.0})
    model = build_model(cfg, in_dim=3)
    opt = build_optimizer(OmegaConf.create({"name": "adam", "lr": 1e-3, "weight_decay": 0.0}), model.parameters())
    for step in (10, 20, 30, 40):
        save_checkpoint(tmp_path, step, model, opt, keep_last=2)
    assert sorted(p.name for p in tmp_path.glob("step_*.pt")) == ["step_000030.pt", "step_000040.pt"]
    assert load_checkpoint(tmp_path / "last.pt", model, opt) == 40
