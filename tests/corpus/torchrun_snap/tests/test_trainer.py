import logging

import torch

from datautils import build_model
from train import Trainer


def make_trainer(objs, loader, tmp_path, save_every=1, **kw):
    _, model, optimizer = objs
    return Trainer(model, loader, optimizer, save_every, tmp_path / "snapshot.pt", **kw)


def test_dataset_is_deterministic(tiny_dataset):
    again = type(tiny_dataset)(64)
    assert torch.equal(tiny_dataset.x, again.x)
    assert tiny_dataset[3][0].shape == (20,)


def test_model_output_shape():
    assert build_model()(torch.zeros(5, 20)).shape == (5, 1)


def test_run_batch_logs_loss(objs, loader, tmp_path, caplog):
    trainer = make_trainer(objs, loader, tmp_path, log_every=1)
    source, targets = next(iter(loader))
    with caplog.at_level(logging.INFO, logger="snap"):
        loss = trainer._run_batch(0, source, targets)
    assert loss > 0
    assert "step 0 | loss" in caplog.text


def test_snapshot_written(objs, loader, tmp_path):
    trainer = make_trainer(objs, loader, tmp_path, save_every=1)
    trainer.train(3)
    snap_file = tmp_path / "snapshot.pt"
    assert snap_file.exists()
    snapshot = torch.load(snap_file)
    assert snapshot["EPOCHS_RUN"] == 3
    assert set(snapshot) == {"MODEL_STATE", "OPTIMIZER_STATE", "EPOCHS_RUN"}


def test_restart_resumes_from_snapshot(objs, loader, tmp_path, caplog):
    first = make_trainer(objs, loader, tmp_path, save_every=2)
    first.train(2)
    weights = {k: v.clone() for k, v in first.model.state_dict().items()}

    # a fresh process would rebuild everything from scratch, with the same arguments
    _, model, optimizer = objs
    model = build_model()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    with caplog.at_level(logging.INFO, logger="snap"):
        second = Trainer(model, loader, optimizer, 2, tmp_path / "snapshot.pt")
        assert second.epochs_run == 2
        for k, v in model.state_dict().items():
            assert torch.equal(v, weights[k])
        second.train(4)
    assert "Resuming training from snapshot at Epoch 2" in caplog.text
    epochs = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Epoch ")]
    assert [e.split(" |")[0] for e in epochs if "Batchsize" in e] == ["Epoch 2", "Epoch 3"]
    assert optimizer.state_dict()["state"], "optimizer state was not restored"
