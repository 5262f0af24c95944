import pytest

from minidet.config import get_cfg


@pytest.fixture
def cfg(tmp_path):
    c = get_cfg()
    c.OUTPUT_DIR = str(tmp_path / "out")
    c.INPUT.NUM_SAMPLES = 256
    c.SOLVER.IMS_PER_BATCH = 16
    c.SOLVER.MAX_ITER = 30
    c.LOG_PERIOD = 5
    return c


class FakeTrainer:
    """Just enough of a trainer for a hook: iter, max_iter and a storage."""

    def __init__(self, max_iter=100):
        from minidet.engine.train_loop import EventStorage
        self.iter = 0
        self.start_iter = 0
        self.max_iter = max_iter
        self.storage = EventStorage()
