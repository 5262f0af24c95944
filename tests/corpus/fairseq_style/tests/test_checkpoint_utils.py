import json
import os
import time

import torch

from tinyseq import checkpoint_utils, options, utils
from tinyseq.data import build_dictionary, load_split
from tinyseq.models import build_model
from tinyseq.trainer import Trainer


def _setup(toy_data, save_dir):
    args = options.parse_args([toy_data, "--save-dir", str(save_dir), "--batch-size", "4",
                               "--embed-dim", "16", "--hidden-dim", "32"])
    d = build_dictionary(toy_data)
    blocks = load_split(toy_data, "train", d, args.tokens_per_sample)
    return args, Trainer(args, build_model(args, d)), blocks


def test_restore_file_defaults_to_checkpoint_last(tmp_path):
    args = options.parse_args([str(tmp_path)])
    assert args.restore_file == "checkpoint_last.pt"


def test_load_checkpoint_brings_back_updates_and_data_position(toy_data, tmp_path):
    args, trainer, blocks = _setup(toy_data, tmp_path)
    _, epoch_itr = checkpoint_utils.load_checkpoint(args, trainer, blocks)  # nothing there yet
    itr = epoch_itr.next_epoch_itr()
    for _ in range(7):
        next(itr)
    trainer._num_updates = 7
    checkpoint_utils.save_checkpoint(args, trainer, epoch_itr, val_loss=2.5)

    args2, fresh, _ = _setup(toy_data, tmp_path)
    extra, itr2 = checkpoint_utils.load_checkpoint(args2, fresh, blocks)
    assert fresh.get_num_updates() == 7
    assert itr2.state_dict() == {"epoch": 1, "iterations_in_epoch": 7}
    assert extra["val_loss"] == 2.5
    for a, b in zip(trainer.model.parameters(), fresh.model.parameters()):
        assert torch.equal(a, b)


def test_interval_checkpoints_newest_first(tmp_path):
    for name in ["checkpoint_1_100.pt", "checkpoint_2_900.pt", "checkpoint_1_300.pt", "checkpoint3.pt"]:
        (tmp_path / name).write_bytes(b"")
    found = [os.path.basename(p) for p in checkpoint_utils.interval_checkpoints(str(tmp_path))]
    assert found == ["checkpoint_2_900.pt", "checkpoint_1_300.pt", "checkpoint_1_100.pt"]


def test_status_file_is_rewritten(tmp_path):
    utils.write_status(str(tmp_path), epoch=1, num_updates=10, best_loss=3.0)
    utils.write_status(str(tmp_path), epoch=1, num_updates=20, best_loss=2.0)
    status = json.loads((tmp_path / "status.json").read_text())
    assert status["num_updates"] == 20 and "time" in status
    assert not (tmp_path / "status.json.tmp").exists()


def test_heartbeat_thread_touches_its_file(tmp_path):
    hb = utils.Heartbeat(str(tmp_path / "heartbeat"), interval=0.05)
    hb.start()
    time.sleep(0.3)
    hb.stop()
    hb.join(1)
    first, pid = (tmp_path / "heartbeat").read_text().split()
    assert abs(float(first) - time.time()) < 5 and pid == f"pid={os.getpid()}"
