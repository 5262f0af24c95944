import json
import logging
from types import SimpleNamespace

import torch

from meterfc.callbacks import BatchLossLog, Heartbeat, StatusFile


class FakeHistory(list):
    def __getitem__(self, key):
        return list.__getitem__(self, key)


def test_batch_loss_log_every_n(caplog):
    net = SimpleNamespace(history=FakeHistory([{"epoch": 1}]))
    cb = BatchLossLog(every=5).initialize()
    with caplog.at_level(logging.INFO, logger="meterfc.callbacks"):
        for _ in range(12):
            cb.on_batch_end(net, training=True, loss=torch.tensor(0.25))
        cb.on_batch_end(net, training=False, loss=torch.tensor(9.0))
    lines = [r.getMessage() for r in caplog.records]
    assert lines == ["epoch 1 batch 5 train_loss 0.25000", "epoch 1 batch 10 train_loss 0.25000"]


def test_status_file_is_replaced_in_place(tmp_path):
    path = tmp_path / "status.json"
    cb = StatusFile(path).initialize()
    net = SimpleNamespace(history=FakeHistory([{"epoch": 1, "train_loss": 0.5, "valid_loss": 0.4}]))
    cb.on_epoch_end(net)
    net.history.append({"epoch": 2, "train_loss": 0.3, "valid_loss": 0.35})
    cb.on_epoch_end(net)
    status = json.loads(path.read_text())
    assert status["epoch"] == 2 and status["state"] == "running"
    assert not path.with_suffix(".json.tmp").exists()


def test_heartbeat_prepares_daemon_thread(tmp_path):
    cb = Heartbeat(tmp_path / "heartbeat", every=0.05)
    cb.on_train_begin(net=None)
    assert cb._thread.daemon
    assert cb._thread.name == "heartbeat"
    cb.on_train_end(net=None)
