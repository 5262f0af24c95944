import copy
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def params(tmp_path, monkeypatch):
    """params.yaml with a fast feed and a short stream, paths inside tmp_path."""
    monkeypatch.chdir(tmp_path)
    p = copy.deepcopy(yaml.safe_load((ROOT / "params.yaml").read_text()))
    p["stream"]["fetch_delay_s"] = 0.0
    p["stream"]["chunk_rows"] = 128
    p["model"]["holdout_rows"] = 300
    p["train"].update(max_chunks=40, snapshot_every=20, report_every=5)
    return p
