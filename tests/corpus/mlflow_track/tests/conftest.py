import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """Run in an empty folder so ./mlruns and ./checkpoints are the test's own."""
    from mlflow.tracking._tracking_service.utils import _tracking_store_registry

    monkeypatch.chdir(tmp_path)
    # "file:./mlruns" is the same string in every test, so mlflow would hand back the store
    # it built (and whose folders it created) in the first test's folder.
    _tracking_store_registry._get_store_with_resolved_uri.cache_clear()
    return tmp_path
