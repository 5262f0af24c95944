import json
import os
import re

from tinyseq.train import cli_main


def _train(toy_data, save_dir, *extra):
    cli_main([toy_data, "--save-dir", str(save_dir), "--batch-size", "4",
              "--embed-dim", "16", "--hidden-dim", "32", *extra])


def test_interval_checkpoints_are_written_and_pruned(toy_data, tmp_path):
    save_dir = tmp_path / "ckpt"
    _train(toy_data, save_dir, "--max-update", "40", "--save-interval-updates", "10",
           "--keep-interval-updates", "2", "--no-epoch-checkpoints", "--log-interval", "10")
    names = set(os.listdir(save_dir))
    assert {"checkpoint_1_30.pt", "checkpoint_1_40.pt", "checkpoint_last.pt"} <= names
    assert "checkpoint_1_10.pt" not in names and "checkpoint_1_20.pt" not in names
    assert not any(re.fullmatch(r"checkpoint\d+\.pt", n) for n in names)


def test_simple_format_logs_every_log_interval(toy_data, tmp_path, capsys):
    _train(toy_data, tmp_path / "ckpt", "--max-update", "20", "--log-interval", "5", "--no-save")
    out = capsys.readouterr().out
    updates = [int(m) for m in re.findall(r"\| train_inner \| epoch 001: .*num_updates=(\d+)", out)]
    assert updates == [5, 10, 15, 20]
    assert re.search(r"epoch 001:\s+5 / \d+ loss=\d+\.\d+, ppl=", out)


def test_json_format_is_one_object_per_line(toy_data, tmp_path, capsys):
    _train(toy_data, tmp_path / "ckpt", "--max-update", "12", "--log-interval", "4",
           "--log-format", "json", "--no-save")
    rows = [json.loads(line.split(" | ", 3)[3]) for line in capsys.readouterr().out.splitlines()
            if "| train_inner |" in line]
    assert [int(r["num_updates"]) for r in rows] == [4, 8, 12]
    assert all({"epoch", "update", "loss", "ups", "wall"} <= r.keys() for r in rows)
