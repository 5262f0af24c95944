from train import latest_checkpoint


def make_dirs(root, *names):
    for name in names:
        (root / "checkpoints" / name).mkdir(parents=True)


def test_latest_checkpoint_picks_the_highest_number(tmp_path):
    make_dirs(tmp_path, "checkpoint_2", "checkpoint_10", "checkpoint_9")
    assert latest_checkpoint(str(tmp_path)).endswith("checkpoint_10")


def test_latest_checkpoint_ignores_other_entries(tmp_path):
    make_dirs(tmp_path, "checkpoint_3", "checkpoint_7.tmp", "old")
    (tmp_path / "checkpoints" / "notes.txt").write_text("x")
    assert latest_checkpoint(str(tmp_path)).endswith("checkpoint_3")


def test_latest_checkpoint_is_none_without_checkpoints(tmp_path):
    assert latest_checkpoint(str(tmp_path)) is None
    (tmp_path / "checkpoints").mkdir()
    assert latest_checkpoint(str(tmp_path)) is None
