import os
import time

import torch
from torch import nn

import helpers


def tiny():
    model = nn.Linear(1, 1)
    return model, torch.optim.SGD(model.parameters(), lr=0.1)


def test_ckpt_name_is_zero_padded():
    assert helpers.ckpt_name(42) == "ckpt_step000042.pt"


def test_save_and_load_roundtrip(tmp_path):
    model, opt = tiny()
    path = helpers.save_ckpt(str(tmp_path), 7, model, opt)
    other, other_opt = tiny()
    state = helpers.load_ckpt(path, other, other_opt)
    assert state["step"] == 7
    assert torch.equal(other.weight, model.weight)
    assert not os.path.exists(path + ".tmp")


def test_two_saves_keep_both_files(tmp_path):
    model, opt = tiny()
    helpers.save_ckpt(str(tmp_path), 100, model, opt)
    helpers.save_ckpt(str(tmp_path), 200, model, opt)
    names = sorted(os.listdir(tmp_path))
    assert names == ["ckpt_step000100.pt", "ckpt_step000200.pt"]


def test_newest_ckpt_uses_step_not_mtime(tmp_path):
    model, opt = tiny()
    helpers.save_ckpt(str(tmp_path), 900, model, opt)
    helpers.save_ckpt(str(tmp_path), 1000, model, opt)
    os.utime(tmp_path / "ckpt_step001000.pt", (1, 1))
    assert helpers.newest_ckpt(str(tmp_path)).endswith("ckpt_step001000.pt")


def test_newest_ckpt_empty_folder(tmp_path):
    assert helpers.newest_ckpt(str(tmp_path)) is None


def test_every_is_wall_clock():
    every = helpers.Every(minutes=0.002)  # 0.12 s
    assert not every.due()
    time.sleep(0.15)
    assert every.due()
    assert not every.due()


def test_write_progress_overwrites(tmp_path):
    path = str(tmp_path / "progress.txt")
    helpers.write_progress(path, step=1, loss="0.5")
    helpers.write_progress(path, step=2, loss="0.4")
    text = open(path).read()
    assert "step: 2" in text and "step: 1" not in text
    assert "updated:" in text


def test_keep_alive_touches_file(tmp_path):
    path = str(tmp_path / "alive.txt")
    helpers.keep_alive(path, every_s=0.05)
    time.sleep(0.3)
    assert os.path.exists(path)
