import json
import re
from pathlib import Path

from skstream.train import train


def test_metrics_json_tracks_the_run(params):
    train(params)
    metrics = json.loads(Path("metrics.json").read_text())
    assert metrics["status"] == "finished"
    assert metrics["chunk"] == 40
    assert metrics["rows_seen"] == 40 * 128
    assert metrics["holdout_acc"] > 0.7


def test_log_has_a_line_every_report_every_chunks(params):
    train(params)
    text = Path("logs/train.log").read_text()
    chunks = [int(c) for c in re.findall(r"chunk (\d+)/40 rows", text)]
    assert chunks == list(range(5, 41, 5))


def test_resume_continues_the_stream(params):
    params["train"]["max_chunks"] = 20
    train(params)
    params["train"]["max_chunks"] = 40
    train(params, resume=True)
    text = Path("logs/train.log").read_text()
    assert "next chunk 20, 2560 rows seen" in text
    second = text.split("resumed from")[1]
    assert re.findall(r"chunk (\d+)/40 rows", second)[0] == "25"
    assert json.loads(Path("metrics.json").read_text())["rows_seen"] == 40 * 128


def test_without_resume_a_rerun_starts_over(params):
    train(params)
    train(params)
    text = Path("logs/train.log").read_text()
    assert text.count("fresh run from chunk 0") == 2
    assert "resumed from" not in text
