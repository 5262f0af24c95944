from sklearn.linear_model import SGDClassifier

from skstream.monitor import Heartbeat
from skstream.snapshots import latest_snapshot, load_snapshot, save_snapshot


def test_snapshots_are_chunk_named_and_latest_wins(tmp_path):
    clf = SGDClassifier()
    save_snapshot(tmp_path, 120, clf, {"next_chunk": 120, "rows_seen": 1})
    save_snapshot(tmp_path, 240, clf, {"next_chunk": 240, "rows_seen": 2})
    names = sorted(p.name for p in tmp_path.glob("chunk_*.joblib"))
    assert names == ["chunk_000120.joblib", "chunk_000240.joblib"]
    assert latest_snapshot(tmp_path).name == "chunk_000240.joblib"
    assert load_snapshot(latest_snapshot(tmp_path))["position"]["next_chunk"] == 240


def test_latest_snapshot_of_empty_folder(tmp_path):
    assert latest_snapshot(tmp_path / "nothing") is None


def test_heartbeat_beat_writes_a_timestamp(tmp_path):
    hb = Heartbeat(tmp_path / "hb", period_s=20)
    hb.beat()
    assert float((tmp_path / "hb").read_text()) > 0
